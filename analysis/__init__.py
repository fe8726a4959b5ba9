"""vitsim analysis: roofline, design-space sweeps, Pareto fronts, plots and reports."""
