"""Layout and SVG rendering of results; consumes results, never recomputes them."""
