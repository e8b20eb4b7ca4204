"""Cross-community analysis with pandas (review.md 疑点提示): imported only on that path."""
