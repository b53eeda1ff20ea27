"""One palette for every view (Okabe-Ito, colour-blind safe), in one place: the Plotly
figures, the SVG views, the model graph and the page's drawing layer all read it.

Real and fake are two categorical colours; D's score is a grey ramp, so neither category
colour can be read as a score; the losses keep to the networks (D black, G vermillion, also
G's gradient), and the page's own buttons stay neutral grey, so that no control reads as
"fake"."""

REAL = "#0072B2"  # Okabe-Ito blue: real data, also data a user draws (it becomes real data)
FAKE = "#E69F00"  # Okabe-Ito orange: G(z)
GRADIENT = "#D55E00"  # Okabe-Ito vermillion: G's gradient, and G's loss
MANIFOLD = "#CC79A7"  # Okabe-Ito reddish purple: the manifold mesh
LOSS_D = "#000000"  # D's loss and D's gradient norm
LOSS_G = GRADIENT
SCORE_RAMP = [[0.0, "#FFFFFF"], [1.0, "#3A3A3A"]]  # D(x) = low → white, high → dark grey
BUTTON_HUE = "neutral"  # the page's primary buttons and ticks (a Gradio theme hue)
