"""Common English function words and very general verbs and adverbs, left out of cluster labels."""

_WORDS = """
a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
each even ever every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll
he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
itself just know let's like made make many may me might more most much must mustn't my myself never no nor not
now of off oh ok okay on once one only or other ought our ours ourselves out over own really said same say says
see shan't she she'd she'll she's should shouldn't so some still such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've thing things think this those though
through to too under until up upon us very was wasn't way we we'd we'll we're we've well went were weren't what
what's when when's where where's which while who who's whom why why's will with won't would wouldn't yes yet you
you'd you'll you're you've your yours yourself yourselves
again already always anything anyone back came come comes day days done enough everything find found
give gave go goes going gone keep kept last left lot put something sometimes take takes taking took
thought time times told try tried want wanted wants yeah
"""
STOP_WORDS = frozenset(_WORDS.split())
