"""The one base class of the errors that mean "this clinic's template set cannot be used".

A broken clinic.toml (ClinicError), content file (CatalogError) or template (TemplateProblem) is the
clinic's to fix, not a fault of the program: every caller catches `SetError` once, shows the message
(which names the file and line) and offers the built-in wording, instead of listing the three kinds.
"""

from __future__ import annotations


class SetError(ValueError):
    """A clinic's set (clinic.toml, its content or its templates) that cannot be used; says where and why."""
