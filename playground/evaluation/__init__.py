"""Measures of a run: distribution metrics (mixtures and images), the image judge, probes
of D and G for the views, and D's rejection filter."""
