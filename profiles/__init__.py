"""The table profile files shipped with budgetqa (data only)."""
