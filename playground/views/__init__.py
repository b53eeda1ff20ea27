"""Pure record → picture functions: Plotly figures, SVG views, the model graph, the palette."""
