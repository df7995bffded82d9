"""Deployment risk: how likely a planned change is to fail, and why.

- `data`: history and plan tables, column roles, clear errors;
- `features`: topology, alert-activity and earlier-outcome features, never
  looking past a row's own time;
- `design`: the model's input table;
- `model`: candidate pipelines, choice by measurement, calibration,
  exact explanations;
- `evaluate`: time-aware evaluation (holdout and rolling origin);
- `store`: model files (skops, never pickle);
- `scoring`: train / score from files (what the CLI and console call);
- `cli`: `watchfloor risk train | evaluate | score`.
"""
