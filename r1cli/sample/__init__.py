"""`r1 sample reject`: rejection sampling (the seed's "Rejection Sampling")."""
