"""Programmes: what a call-out becomes (an episode, a book, an album). Pure logic: the plan a render is given, the
running total against a target, a suggested running order and the credits with each contributor's share."""
