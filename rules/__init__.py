"""The rule files shipped with budgetqa (data only)."""
