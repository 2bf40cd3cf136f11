"""``fgrevoke restore``: put back what a revocation took, from its own report (docs/restore.md).

``reading`` turns a report (any shape the functions return, or their audit log) into the grants to put back;
``services`` knows, per service, what is listed and how to create it again; ``plan`` decides per item and
applies; ``command`` is the command line around it.
"""
