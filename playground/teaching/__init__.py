"""Teaching: tours and their claims, A/B comparisons, slow-motion narration."""
