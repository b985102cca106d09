"""Rendering programmes (episode rough cut, book, album) from a RenderPlan with FFmpeg."""
