"""The engine: config, data and loaders, the networks, the losses, the step-wise trainer
with its records and rewind, the browser budget. Imports no other room."""
