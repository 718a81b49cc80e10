"""The generation engine the generating stages share (cold start, sample reject, distill, eval)."""
