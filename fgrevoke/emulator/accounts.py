"""Who owns what: accounts (IAM domains), their projects, and the account each access key signs for.

A project belongs to one account and one region (docs/reference/account-wide.md §2): a region's own project is
named after the region and its parent is the account; a sub-project is named ``<region>_<suffix>`` and its parent
is the region's own project. The server refuses a request for a project of another account or region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

# The account every key signs for unless told otherwise: the one the sample CTS events name (fgrevoke.testkit).
DEFAULT_ACCOUNT = "e51dfca1c18747919f6c16af2721f35d"


@dataclass(frozen=True)
class Project:
    project_id: str
    region: str
    account_id: str
    name: str
    parent_id: str


class Directory:
    """The projects of every account; emptied with the emulator's state."""

    def __init__(self) -> None:
        self.projects: Dict[str, Project] = {}

    def add(self, region: str, project_id: str, account_id: Optional[str] = None,
            name: Optional[str] = None) -> Project:
        """The region's own project when it has none in the account yet, else a sub-project of it."""
        account = account_id or DEFAULT_ACCOUNT
        own = self.regional(account, region)
        if own is None or own.project_id == project_id:
            project = Project(project_id, region, account, name or region, account)
        else:
            suffix = sum(1 for p in self.projects.values() if p.account_id == account and p.region == region)
            project = Project(project_id, region, account, name or f"{region}_sub{suffix}", own.project_id)
        self.projects[project_id] = project
        return project

    def regional(self, account_id: str, region: str) -> Optional[Project]:
        return next((p for p in self.projects.values()
                     if p.account_id == account_id and p.region == region and p.parent_id == account_id), None)

    def of(self, account_id: str) -> List[Project]:
        return [project for project in self.projects.values() if project.account_id == account_id]

    def accounts(self) -> List[str]:
        return sorted({project.account_id for project in self.projects.values()})

    def clear(self) -> None:
        self.projects.clear()
