"""CI integration: the pipeline writers — :mod:`.github` (a GitHub Actions workflow) and :mod:`.gitlab` (a
``.gitlab-ci.yml``), sharing :mod:`.common` — and what every command prints when it runs inside GitHub Actions
(:mod:`.actions`: the step summary, ``::group::`` folds, ``::error::`` annotations).
"""
