"""Views built from the scorecard JSON only, so any old scorecard renders again."""
