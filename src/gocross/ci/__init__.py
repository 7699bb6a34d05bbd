"""CI integration: the GitHub Actions workflow writer (:mod:`.github`) and what every command prints when it
runs inside GitHub Actions (:mod:`.actions`: the step summary, ``::group::`` folds, ``::error::`` annotations).
"""
