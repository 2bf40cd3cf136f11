"""Workspace App: remove people from application groups (BatchDeleteAppGroupAuthorization).

``POST /v1/{project_id}/app-groups/actions/batch-delete-authorization`` through
``WorkspaceAppClient.batch_delete_app_group_authorization`` (SDK ``huaweicloudsdkworkspaceapp.v1``).

The removal answers 200 whether or not a pair existed, so its answer proves nothing about presence.
Every pair's outcome rests on a listing: one complete ListAppGroupAuthorization per account
(filtered by account; only exact name and type matches count, as the service's filter may be fuzzy),
or one per named group when that costs fewer pages (bulk offboarding). A user is its name in its
domain, a user group its id: namesakes are separate targets.
Pairs the service does not hold are ``already_absent`` and nothing is sent for them; pairs it holds
are removed in the fewest calls (10 groups x 50 accounts each) and ``deleted`` on their call's 2xx.
A user group is removed by its id (AccountInfo.id: "for the user group type, the user group ID is
required"): an entry without one is refused. When a call fails, ListAppGroup tells which of its
groups no longer exist, and the pairs in the others are sent again.

Workspace App accounts are Workspace users, not IAM users: an IAM user deletion (CTS) becomes a
Workspace account name through the setting WORKSPACE_ACCOUNT_MAPPING (see ``_mapping``).
"""

from __future__ import annotations

from shared import cold_gc  # noqa: F401 - first: the collector waits out the cold start

# isort: split
from concurrent.futures import Future
from functools import partial
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

import sweep  # type: ignore[import-not-found]  # beside index.py (mypy names it functions.<folder>.sweep)

from shared import fields, listing, manifest, retry, runtime, undo
from shared import sweep as sweep_rules
from shared.batching import grid
from shared.clients import WORKSPACEAPP, unparsed
from shared.concurrency import bounded_map, slots
from shared.errors import ConfigurationError, ErrorCode, InvalidRequest, PayloadTooLarge
from shared.outcomes import (
    ALREADY_ABSENT,
    DELETED,
    FAILED,
    NOT_ATTEMPTED,
    SKIPPED_PROTECTED,
    WOULD_DELETE,
    Outcome,
    Report,
    TargetState,
)
from shared.settings import SettingsSource

MANIFEST = manifest.beside(__file__)  # its operation, actions, settings and their defaults
OPERATION = MANIFEST.operation
# The agency's least privilege: every action a call of this function needs (API reference pages).
MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL = 10, 50
MAX_PAIRS = 100_000
LIST_PAGE = 100  # the largest page of ListAppGroupAuthorization and ListAppGroup
DISCOVER = "*"
ACCOUNT_TYPES = ("USER", "USER_GROUP")
PLATFORM_TYPES = ("AD", "LOCAL", "SYSTEM")
ACCOUNT_FIELDS = ("id", "account", "account_type", "domain", "email", "telephone_number", "platform_type")
REQUEST_FIELDS = ("app_group_ids", "accounts", "user_name", "domain", "users", "dry_run", "project_id")
MAPPING_SETTING = "WORKSPACE_ACCOUNT_MAPPING"
Groups = Tuple[str, ...]
Identity = Tuple[str, str, str, str]  # (account_type, user name, its domain (any case), user group id)

class Account(NamedTuple):
    info: Dict[str, str]  # the AccountInfo fields sent
    details: Dict[str, Any] = {}  # where the name came from, for the report (copied, never changed)
    origin: str = ""  # the same, for a reason text

    def absent(self, scope: str) -> str:
        """Why nothing is sent: no authorization for this account name in ``scope``."""
        mapped = "mapped " if self.origin else ""
        return f"no authorization was found for the {mapped}account name {self.name!r} {scope}{self.origin}"

    @property
    def name(self) -> str:
        return self.info["account"]

    @property
    def kind(self) -> str:
        return self.info["account_type"]

    @property
    def key(self) -> "Identity":
        """``_identity`` of its targets (read once per pair of a bulk request: made without a target)."""
        if self.kind == "USER_GROUP":
            return "USER_GROUP", "", "", str(self.info["id"])
        return "USER", self.name, self.info.get("domain", "").casefold(), ""


class Mapping(NamedTuple):
    """How an IAM user name becomes a Workspace account (the setting WORKSPACE_ACCOUNT_MAPPING).

    ``same`` (default): the IAM user name as is; ``suffix:<text>``: the name with text appended
    (``suffix:@corp.example``); ``domain:<domain>``: the name as is, with AccountInfo.domain set;
    ``off``: IAM user deletions are ignored.
    """

    setting: str
    suffix: str = ""
    domain: Optional[str] = None
    off: bool = False

    def account(self, iam_user_name: str) -> Account:
        name = fields.name(iam_user_name + self.suffix, "cts.resource_name")
        info = {"account": name, "account_type": "USER"}
        if self.domain:
            info["domain"] = self.domain
        return Account(info, {"mapped_from": {"iam_user_name": iam_user_name, "mapping": self.setting}},
                       f" (from IAM user {iam_user_name!r} by {MAPPING_SETTING}={self.setting})")


def handler(event: Any, context: Any) -> Any:
    return runtime.handle(event, context, operation=OPERATION, revoke=revoke, offboards=_offboarding_ignored)


def _offboarding_ignored(source: SettingsSource) -> Optional[str]:
    if _mapping(source).off:
        return (f"{MAPPING_SETTING} is off: IAM user deletions are not mapped to Workspace App accounts; "
                "remove Workspace users through an APIG, EventGrid or SMN request instead")
    return None


def _mapping(source: SettingsSource) -> Mapping:
    value = MANIFEST.value(MAPPING_SETTING, source)
    kind, colon, text = value.partition(":")
    kind = kind.strip().lower()
    if not colon and kind in ("same", "off"):
        return Mapping(kind, off=kind == "off")
    if colon and kind in ("suffix", "domain") and text:
        try:
            fields.name(text, MAPPING_SETTING)
        except InvalidRequest:
            pass
        else:
            setting = f"{kind}:{text}"
            return Mapping(setting, suffix=text) if kind == "suffix" else Mapping(setting, domain=text)
    raise ConfigurationError(f"setting {MAPPING_SETTING} must be same, off, suffix:<text> or domain:<domain> "
                             f"(text without control characters or surrounding spaces), not "
                             f"{fields.shown([value])!r}", field=MAPPING_SETTING)


def revoke(invocation: runtime.Invocation) -> Report:
    if invocation.offboarding is None and sweep_rules.requested(invocation.payload):  # {"sweep": {...}}: sweep.py
        swept: Report = sweep.run(invocation, sweep.Removal(Account, _remove, _resend_without_missing_groups))
        return swept
    mapping = _mapping(invocation.source)
    groups, accounts = _request(invocation, mapping)
    protected = fields.folded(MANIFEST.value("PROTECTED_ACCOUNTS", invocation.source))
    report = invocation.report()
    kept = [account for account in accounts if account.name.casefold() not in protected]
    report.items.extend(_outcome(group, account, SKIPPED_PROTECTED, reason="listed in PROTECTED_ACCOUNTS")
                        for account in accounts if account.name.casefold() in protected
                        for group in groups or [DISCOVER])
    if not kept:
        if not accounts:
            report.notes.append("the request names no accounts: nothing to remove")
        return report
    client = invocation.client(WORKSPACEAPP)
    plans: Dict[Groups, List[Account]] = {}  # people holding the same groups are removed together
    listed: Dict[Tuple[str, Identity], List[Dict[str, Any]]] = {}  # (group, account) -> its listing entries
    holdings = _holdings_by_group(invocation, client, groups, kept) if groups is not None else None
    if holdings is None:
        holdings = bounded_map(partial(_holdings, invocation, client, groups), kept,
                               invocation.settings.max_concurrency)
    asked = {(group, account.key) for account, found in zip(kept, holdings) for group in found.held}
    for account, found in zip(kept, holdings):
        report.items.extend(found.outcomes)
        for entry in found.listed:
            listed.setdefault((str(entry["app_group_id"]), account.key), []).append(entry)
        left = {group for group, namesake in found.namesakes  # a namesake this request does not remove there too
                if (group, namesake) not in asked and (group, ("USER", account.name, "", "")) not in asked}
        report.items.extend(_namesake_outcome(group, account) for group in found.held if group in left)
        held = tuple(group for group in found.held if group not in left)
        if held:
            plans.setdefault(held, []).append(account)
    if invocation.dry_run:
        report.items.extend(_outcome(group, account, WOULD_DELETE)
                            for held, members in plans.items() for group in held for account in members)
        return report
    calls = [call for held, members in plans.items()
             for call in grid(list(held), members, MAX_GROUPS_PER_CALL, MAX_ACCOUNTS_PER_CALL)]
    with slots(invocation.settings.max_concurrency) as start:  # a call's own work overlaps the others' waits
        results = [future.result() for future in [start(partial(_remove, invocation, client, call))
                                                  for call in calls]]
    _resend_without_missing_groups(invocation, client, calls, results)
    outcomes = [outcome for result in results for outcome in result]
    invocation.reconcile(outcomes, lambda item: (item.target["app_group_id"], _identity(item.target)),
                         partial(_remaining_pairs, invocation, client, kept, outcomes))
    if invocation.checks_after:
        _check_after(invocation, client, kept, outcomes)
    for item in outcomes:
        report.items.extend(_as_listed(item, listed.get((item.target["app_group_id"], _identity(item.target)), [])))
    return report


def _as_listed(item: Outcome, entries: List[Dict[str, Any]]) -> List[Outcome]:
    """The item with what ``restore`` needs; a name without a domain that the group held in several domains
    (namesakes: a removal without a domain takes each) is an item per entry, each restorable on its own."""
    if "domain" in item.target or len({str(entry.get("domain") or "").casefold() for entry in entries}) <= 1:
        undo.keep(item, *_recipe(entries[0] if entries else None))
        return [item]
    split = []
    for entry in entries:
        one = item.for_target(dict(item.target, domain=str(entry.get("domain") or "")), dict(item.details))
        undo.keep(one, *_recipe(entry))
        split.append(one)
    return split


RESTORED_ACCOUNT_FIELDS = ("account", "account_type", "domain", "platform_type")


def _recipe(entry: Optional[Dict[str, Any]]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """What AddAppGroupAuthorization takes to authorize the account in the group again: the account as the
    listing read before the removal showed it (its ``account_id`` is AccountInfo's ``id``)."""
    if entry is None:
        return None, "the listing read before the removal holds no entry for this pair"
    if entry.get("authorization_type") == "APP":
        return None, ("a per-application grant (authorization_type APP): the SDK's AddAppGroupAuthorization takes "
                      "application groups only, so it cannot be re-created with it")
    account = {key: entry[key] for key in RESTORED_ACCOUNT_FIELDS if entry.get(key) not in (None, "")}
    if entry.get("account_id"):
        account["id"] = entry["account_id"]
    return {"app_group_id": str(entry["app_group_id"]), "account": account}, None


def _check_after(invocation: runtime.Invocation, client: Any, accounts: Sequence[Account],
                 outcomes: List[Outcome]) -> None:
    """An offboarding lists each person again: a removal answers 200 whether or not anything changed, so
    ``deleted`` means listed before and absent after; a pair still listed, or unreadable, is ``failed``."""
    removed = {_identity(item.target) for item in outcomes if item.outcome == DELETED}
    for account in accounts:
        if account.key not in removed:
            continue
        try:
            still: Optional[Set[str]] = set(_groups_of(invocation, client, account))
            problem = None
        except retry.UpstreamCallFailed as failure:
            still, problem = None, failure.error
        for item in outcomes:
            if item.outcome != DELETED or _identity(item.target) != account.key:
                continue
            if problem is not None and problem.error_code == retry.NOT_ATTEMPTED:  # no time left to look
                item.outcome, item.transient, item.reason = NOT_ATTEMPTED, True, (
                    f"the removal answered 200; the listing after it was not started: {problem.error_msg}")
            elif problem is not None:
                item.outcome, item.error_code, item.transient = FAILED, problem.error_code, True
                item.upstream_status = problem.status_code
                item.error_msg = ("the removal answered 200, but the listing after it could not be read, so it "
                                  f"cannot be told that the access is gone: {problem.error_msg}")
            elif still is not None and item.target["app_group_id"] in still:
                item.outcome, item.error_code, item.transient = FAILED, "FGR.StillAuthorized", True
                item.error_msg = ("the removal answered 200, but ListAppGroupAuthorization still lists this pair "
                                  "afterwards: the access remains")


class Holding(NamedTuple):
    """What a complete listing says of one account: the requested groups that hold it, and the
    outcomes already known for the rest (``already_absent``, or why the listing could not be read)."""

    held: Groups = ()
    outcomes: Tuple[Outcome, ...] = ()
    listed: Tuple[Dict[str, Any], ...] = ()  # the held groups' listing entries: what ``restore`` is made of
    namesakes: Tuple[Tuple[str, Identity], ...] = ()  # (group, identity) of the user's namesakes of other domains


def _holdings(invocation: runtime.Invocation, client: Any, groups: Optional[List[str]], account: Account) -> Holding:
    try:
        entries = _entries_of(invocation, client, account)
    except retry.UpstreamCallFailed as failure:
        unread = []
        for group in groups or [DISCOVER]:
            outcome = runtime.outcome_of_failure(_target(group, account), failure.error)
            outcome.details = dict(account.details)
            if outcome.outcome == FAILED:
                outcome.reason = "the account's authorizations could not be listed, so nothing was removed"
            unread.append(outcome)
        return Holding(outcomes=tuple(unread))
    own = [entry for entry in entries if _same_account(entry, account)]
    namesakes = tuple((str(entry["app_group_id"]), _identity(entry)) for entry in entries
                      if _namesake_elsewhere(entry, account))
    held = _group_ids(own)
    if groups is None:
        if held:
            return Holding(tuple(held), listed=tuple(own), namesakes=namesakes)
        return Holding(outcomes=(_outcome(DISCOVER, account, ALREADY_ABSENT,
                                          reason=account.absent("in any application group")),))
    holding = set(held)
    reason = account.absent("in this application group")
    return Holding(tuple(group for group in groups if group in holding),
                   tuple(_outcome(group, account, ALREADY_ABSENT, reason=reason) for group in groups
                         if group not in holding), tuple(own), namesakes)


def _holdings_by_group(invocation: runtime.Invocation, client: Any, groups: List[str],
                       accounts: List[Account]) -> Optional[List[Holding]]:
    """Each group's authorizations read whole, when that costs fewer pages than one listing per person
    (bulk offboarding: 1,000 people, 25 groups); None when it does not.

    A person's listing costs a page at least; a group's costs count/100 pages. The first page of each
    group tells its count, and is the first page of that group's listing if it is read. It also tells every
    later page that listing will ask for (pages overlap by one entry): all groups' later pages are read side
    by side, MAX_CONCURRENCY at a time, so no slot waits while one group's pages are read one after another;
    each listing is checked as it would be had it read them itself (``listing.complete``)."""
    if len(groups) >= len(accounts):
        return None
    concurrency = invocation.settings.max_concurrency
    with slots(concurrency) as start:
        def read(group: str, offset: int) -> "Future[Any]":
            return start(partial(_group_page, invocation, client, group, offset))

        first_pages = [future.result() for future in [read(group, 0) for group in groups]]
        pages = sum(-(-(listing.total_of(page, "count") or 1) // LIST_PAGE) if isinstance(page, dict) else 1
                    for page in first_pages)
        if pages >= len(accounts):
            return None
        later = [{offset: read(group, offset) for offset in _later_offsets(page)}
                 for group, page in zip(groups, first_pages)]
        members = bounded_map(lambda index: _members_of_group(
            groups[index], first_pages[index], later[index], partial(read, groups[index]), accounts),
            range(len(groups)), concurrency)
    return [_holding_in_groups(account, groups, members) for account in accounts]


# Whom a group holds: each account's entries, and (NAMESAKES, account) for an account whose name the group also
# holds in another domain; or why it could not be read.
GroupMembers = Union[Dict[Any, List[Dict[str, Any]]], retry.UpstreamCallFailed]
NAMESAKES = "namesakes"


def _holding_in_groups(account: Account, groups: List[str], members: List[GroupMembers]) -> Holding:
    key = account.key
    held = tuple(group for group, found in zip(groups, members) if isinstance(found, dict) and key in found)
    namesakes = tuple((group, _identity(entry)) for group, found in zip(groups, members)
                      if isinstance(found, dict) for entry in found.get((NAMESAKES, key), []))
    outcomes: List[Outcome] = []
    for group, found in zip(groups, members):
        if isinstance(found, retry.UpstreamCallFailed):
            outcome = runtime.outcome_of_failure(_target(group, account), found.error)
            outcome.details = dict(account.details)
            if outcome.outcome == FAILED:
                outcome.reason = "the application group's authorizations could not be listed, so nothing was removed"
            outcomes.append(outcome)
        elif key not in found:
            reason = account.absent("in this application group")
            outcomes.append(_outcome(group, account, ALREADY_ABSENT, reason=reason))
    listed = tuple(entry for found in members if isinstance(found, dict) and key in found for entry in found[key])
    return Holding(held, tuple(outcomes), listed, namesakes)


def _group_listing_request(group: str, offset: int) -> Any:
    return WORKSPACEAPP.sdk().ListAppGroupAuthorizationRequest(limit=LIST_PAGE, offset=offset, app_group_id=group)


def _group_page(invocation: runtime.Invocation, client: Any, group: str, offset: int) -> Any:
    """One page of the group's listing, or why it could not be read (with every retry the policy allows)."""
    try:
        return invocation.read(partial(unparsed, client, "list_app_group_authorization",
                                       _group_listing_request(group, offset)),
                               operation="workspaceapp.list_app_group_authorization")
    except retry.UpstreamCallFailed as failure:
        return failure


def _later_offsets(first_page: Any) -> List[int]:
    """The offsets the group's listing asks for after ``first_page``, if nothing moves (none if it is unreadable:
    the listing then stops at it)."""
    total = listing.total_of(first_page, "count")
    entries = first_page.get("authorizations") if isinstance(first_page, dict) else None
    if total is None or not isinstance(entries, list):
        return []
    return listing.item_offsets_after(len(entries), total)


def _members_of_group(group: str, first_page: Any, later: Dict[int, "Future[Any]"],
                      read: Callable[[int], "Future[Any]"], accounts: List[Account]) -> GroupMembers:
    """Which of ``accounts`` a complete listing of ``group`` holds, or why it could not be read whole.

    ``later``: its pages after the first, already started; a page it did not foresee is started with ``read``."""
    if isinstance(first_page, retry.UpstreamCallFailed):  # already read with every retry the policy allows
        return first_page
    unused: Dict[int, Any] = {0: first_page, **later}

    def page(offset: int) -> Any:
        if offset == 0 and 0 not in unused:  # a re-read after the listing moved reads every page afresh
            unused.clear()
        answer = unused.pop(offset, None)
        if answer is None:
            answer = read(offset)
        if isinstance(answer, Future):
            answer = answer.result()
        if isinstance(answer, retry.UpstreamCallFailed):
            raise answer
        return answer

    try:
        entries = listing.complete(page, items="authorizations", total="count", what="ListAppGroupAuthorization",
                                   key="app_group_id", item_offsets=True)
    except retry.UpstreamCallFailed as failure:
        return failure
    by_name: Dict[str, List[Dict[str, Any]]] = {}
    by_id: Dict[str, List[Dict[str, Any]]] = {}
    for entry in entries:
        if str(entry.get("app_group_id")) != group:  # should the service's filter be loose
            continue
        by_name.setdefault(str(entry.get("account")), []).append(entry)
        if entry.get("account_id"):
            by_id.setdefault(str(entry["account_id"]), []).append(entry)
    holders: Dict[Any, List[Dict[str, Any]]] = {}
    for account in accounts:
        own = [entry for entry in by_name.get(account.name, []) +
               (by_id.get(account.info["id"], []) if account.kind == "USER_GROUP" else [])
               if _same_account(entry, account)]
        if own:
            holders[account.key] = list({id(entry): entry for entry in own}.values())
            namesakes = [entry for entry in by_name.get(account.name, []) if _namesake_elsewhere(entry, account)]
            if namesakes:
                holders[(NAMESAKES, account.key)] = namesakes
    return holders


def _groups_of(invocation: runtime.Invocation, client: Any, account: Account) -> List[str]:
    """The groups this account is authorized in, from a complete ListAppGroupAuthorization."""
    return _group_ids([entry for entry in _entries_of(invocation, client, account) if _same_account(entry, account)])


def _group_ids(entries: List[Dict[str, Any]]) -> List[str]:
    return list(dict.fromkeys(str(entry["app_group_id"]) for entry in entries))


def _entries_of(invocation: runtime.Invocation, client: Any, account: Account) -> List[Dict[str, Any]]:
    """This account's own entries of a complete ListAppGroupAuthorization (one per group it is in), and those of
    its namesakes in other domains (``_namesake_elsewhere``)."""
    sdk = WORKSPACEAPP.sdk()

    def page(offset: int) -> Any:
        # A user group is its id (filtered exactly, [SDK] list_app_group_authorization_request.py); a user its name.
        who = {"account_id": account.info["id"]} if account.kind == "USER_GROUP" else {"account": account.name}
        request = sdk.ListAppGroupAuthorizationRequest(limit=LIST_PAGE, offset=offset, account_type=account.kind,
                                                       **who)
        return invocation.read(partial(unparsed, client, "list_app_group_authorization", request),
                               operation="workspaceapp.list_app_group_authorization")

    entries = listing.complete(page, items="authorizations", total="count", what="ListAppGroupAuthorization",
                               key="app_group_id", item_offsets=True)
    return [entry for entry in entries
            if (_same_account(entry, account) or _namesake_elsewhere(entry, account)) and entry.get("app_group_id")]


def _namesake_elsewhere(entry: Dict[str, Any], account: Account) -> bool:
    """A user of this user's name in another domain. Whether a removal that names a domain leaves such a namesake
    in place is not documented (docs/functions/workspaceapp_batch_delete_app_group_authorization.md)."""
    domain = account.info.get("domain")
    return (account.kind == "USER" and bool(domain) and entry.get("account_type") == "USER"
            and entry.get("account") == account.name and bool(entry.get("domain"))
            and str(entry["domain"]).casefold() != str(domain).casefold())


def _namesake_outcome(group: str, account: Account) -> Outcome:
    item = _outcome(group, account, FAILED)
    item.error_code = ErrorCode.NAMESAKE_IN_ANOTHER_DOMAIN
    item.error_msg = (f"application group {group} also holds {account.name!r} of another domain, whom this request "
                      "does not remove; whether a removal that names the domain leaves that person's access in place "
                      "is not documented, so none was sent: remove this one in the console, where each entry is "
                      "shown")
    return item


def _same_account(entry: Dict[str, Any], account: Account) -> bool:
    """The listing's ``account`` filter may match by substring: keep this account's own entries only.

    A user group is its id (the entry's ``account_id``; by name only where the entry shows no id); a
    user named with a domain is not the same person as a user of that name in another domain.
    """
    if entry.get("account_type") != account.kind:
        return False
    if account.kind == "USER_GROUP":
        return entry.get("account_id") == account.info["id"] or (
            entry.get("account_id") in (None, "") and entry.get("account") == account.name)
    if entry.get("account") != account.name:
        return False
    domain = account.info.get("domain")
    return not (domain and entry.get("domain") and str(entry["domain"]).casefold() != domain.casefold())


def _remove(invocation: runtime.Invocation, client: Any, call: Tuple[List[str], List[Account]]) -> List[Outcome]:
    """One API call covering up to 10 groups x 50 accounts; every pair gets the call's outcome."""
    groups, accounts = call
    sdk = WORKSPACEAPP.sdk()
    body = sdk.AppGroupAuthorizeReq(app_group_ids=groups, accounts=[sdk.AccountInfo(**a.info) for a in accounts])
    request = sdk.BatchDeleteAppGroupAuthorizationRequest(body=body)
    pairs = [(_target(group, account), account) for group in groups for account in accounts]
    outcome = invocation.attempt([target for target, _account in pairs],
                                 partial(client.batch_delete_app_group_authorization, request),
                                 operation="workspaceapp.batch_delete_app_group_authorization")
    return [outcome.for_target(target, dict(account.details)) for target, account in pairs]


def _resend_without_missing_groups(invocation: runtime.Invocation, client: Any,
                                   calls: List[Tuple[List[str], List[Account]]], results: List[List[Outcome]]) -> None:
    """A group deleted since the listing fails the whole call: find which groups exist, send the rest again.

    Pairs in a group that does not exist are ``already_absent``. Without a complete ListAppGroup
    the failures stand.
    """
    failed = [index for index, result in enumerate(results) if any(item.outcome == FAILED for item in result)]
    if not failed:
        return
    try:
        existing = _existing_groups(invocation, client)
    except retry.UpstreamCallFailed:
        return
    resend: List[Tuple[int, Tuple[List[str], List[Account]]]] = []
    for index in failed:
        groups, accounts = calls[index]
        missing = [group for group in groups if group not in existing]
        if not missing:
            continue
        live = [group for group in groups if group in existing]
        results[index] = [_outcome(group, account, ALREADY_ABSENT,
                                   reason="the application group does not exist (ListAppGroup)")
                          for group in missing for account in accounts]
        if live:
            resend.append((index, (live, accounts)))
    again = bounded_map(partial(_remove, invocation, client), [call for _, call in resend],
                        invocation.settings.max_concurrency)
    for (index, _), outcomes in zip(resend, again):
        results[index].extend(outcomes)


def _existing_groups(invocation: runtime.Invocation, client: Any) -> Set[str]:
    """Every application group of the project (ListAppGroup, read whole)."""
    sdk = WORKSPACEAPP.sdk()

    def page(offset: int) -> Any:
        request = sdk.ListAppGroupRequest(limit=LIST_PAGE, offset=offset)
        return invocation.read(partial(unparsed, client, "list_app_group", request),
                               operation="workspaceapp.list_app_group")

    entries = listing.complete(page, items="items", total="count", what="ListAppGroup", key="id")
    return {str(entry.get("id")) for entry in entries}


def _remaining_pairs(invocation: runtime.Invocation, client: Any, accounts: Sequence[Account],
                     outcomes: List[Outcome]) -> Set[Tuple[str, Identity]]:
    """(group, account identity) pairs that still exist, for the accounts of failed pairs."""
    failed = {_identity(item.target) for item in outcomes if item.outcome == FAILED}
    return {(group, account.key) for account in accounts if account.key in failed
            for group in _groups_of(invocation, client, account)}


def validate_request(payload: Dict[str, Any]) -> None:
    """Raise ``InvalidRequest`` if this function would refuse the request (used by ``fgrevoke validate``)."""
    if sweep_rules.requested(payload):
        sweep_rules.validate_request(payload)
        return
    fields.reject_unknown(payload, REQUEST_FIELDS)
    _accounts(payload)
    if "app_group_ids" in payload:
        fields.identifiers(payload, "app_group_ids")


def _request(invocation: runtime.Invocation, mapping: Mapping) -> Tuple[Optional[List[str]], List[Account]]:
    """(groups, accounts); groups None means: discover each account's groups."""
    payload = invocation.payload
    if invocation.offboarding is not None:
        name = invocation.offboarding.user_name
        if not name:
            raise InvalidRequest("the IAM deleteUser trace has no resource_name (the user name the Workspace App "
                                 f"account is mapped from by {MAPPING_SETTING})", field="cts.resource_name")
        accounts = [mapping.account(fields.name(name, "cts.resource_name"))]
    else:
        fields.reject_unknown(payload, REQUEST_FIELDS)
        accounts = _accounts(payload)
    groups = fields.identifiers(payload, "app_group_ids") if "app_group_ids" in payload else _configured_groups(
        invocation)
    if groups is not None and len(groups) * len(accounts) > MAX_PAIRS:
        raise PayloadTooLarge(f"{len(groups)} groups x {len(accounts)} accounts is more than {MAX_PAIRS} pairs "
                              "per request: split the request", field="accounts")
    return groups, accounts


def _configured_groups(invocation: runtime.Invocation) -> Optional[List[str]]:
    configured = MANIFEST.value("APP_GROUP_IDS", invocation.source)
    if configured == (DISCOVER,):
        return None
    if not configured:
        raise ConfigurationError("the request has no app_group_ids and the setting APP_GROUP_IDS is empty: set "
                                 "it to the groups to remove people from, or to * to find each person's groups",
                                 field="APP_GROUP_IDS")
    try:
        return [fields.identifier(group, "APP_GROUP_IDS") for group in configured]
    except InvalidRequest as problem:
        raise ConfigurationError(f"setting {problem.message}", field="APP_GROUP_IDS") from None


def _accounts(payload: Dict[str, Any]) -> List[Account]:
    forms = [key for key in ("accounts", "user_name", "users") if key in payload]
    if len(forms) != 1:
        raise InvalidRequest('give exactly one of "accounts", "user_name" (one person who left) and "users" '
                             '(a list of {"user_name", "domain"})', field="accounts")
    if "user_name" in payload:
        return [_person(payload, "")]
    if "users" in payload:
        people = fields.string_list(payload, "users", allow_empty=True) or []  # nobody left today
        domain = fields.name(payload["domain"], "domain") if payload.get("domain") is not None else None
        return _unique([_person(person, f"users[{index}]", domain) for index, person in enumerate(people)])
    if "domain" in payload:
        raise InvalidRequest('"domain" goes with "user_name" or "users"; inside "accounts" give it per account',
                             field="domain")
    entries = fields.string_list(payload, "accounts", allow_empty=True) or []  # 0 accounts: 0 calls
    return _unique([_account(entry, f"accounts[{index}]") for index, entry in enumerate(entries)])


def _person(person: Any, where: str, domain: Optional[str] = None) -> Account:
    """A person who left: ``{"user_name": ..., "domain": ...}`` -> a USER account.

    ``domain``: the request's own ``domain`` beside ``users``, for each person who names none."""
    prefix = f"{where}." if where else ""
    if not isinstance(person, dict):
        raise InvalidRequest(f"{where} must be an object with user_name and optional domain", field=where)
    if where:
        fields.reject_unknown(person, ("user_name", "domain"), where)
    info = {"account": fields.name(person.get("user_name"), prefix + "user_name"), "account_type": "USER"}
    if person.get("domain") is not None:
        info["domain"] = fields.name(person["domain"], prefix + "domain")
    elif domain is not None:
        info["domain"] = domain
    return Account(info)


def _account(entry: Any, where: str) -> Account:
    """An AccountInfo-shaped object, or a plain string meaning a USER account name."""
    if isinstance(entry, str):
        entry = {"account": entry, "account_type": "USER"}
    if not isinstance(entry, dict):
        raise InvalidRequest(f"{where} must be an account name or an AccountInfo object", field=where)
    fields.reject_unknown(entry, ACCOUNT_FIELDS, where)
    info = {key: (fields.identifier if key == "id" else fields.name)(entry[key], f"{where}.{key}")
            for key in ACCOUNT_FIELDS if entry.get(key) is not None}
    if "account" not in info:
        raise InvalidRequest(f"{where}.account (the user or user group name) is required", field=f"{where}.account")
    if info.get("account_type") not in ACCOUNT_TYPES:
        raise InvalidRequest(f"{where}.account_type must be USER or USER_GROUP", field=f"{where}.account_type")
    if info["account_type"] == "USER_GROUP" and "id" not in info:
        # AccountInfo.id: "For the user group type, the user group ID is required"; without it the
        # service answers 200 and removes nothing.
        raise InvalidRequest(f"{where}.id (the user group's id) is required for a USER_GROUP: the service removes "
                             "a user group by its id and, without one, removes nothing", field=f"{where}.id")
    if info.get("platform_type", "AD") not in PLATFORM_TYPES:
        raise InvalidRequest(f"{where}.platform_type must be AD, LOCAL or SYSTEM", field=f"{where}.platform_type")
    return Account(info)


def _unique(accounts: List[Account]) -> List[Account]:
    """One target per identity: a name in two domains, or two user groups named alike, are two."""
    seen: Dict[Identity, Account] = {}
    for account in accounts:
        seen.setdefault(account.key, account)
    return list(seen.values())


def _target(group: str, account: Account) -> Dict[str, Any]:
    """The pair an item names: a domain, when given, and a user group's id are part of who the account is."""
    target = {"app_group_id": group, "account": account.name, "account_type": account.kind}
    target.update((key, account.info[key]) for key in ("domain", "id") if key in account.info)
    return target


def _identity(target: Dict[str, Any]) -> Identity:
    """A user is its name in its domain (any case); a user group is its id, whatever name it is given."""
    if target["account_type"] == "USER_GROUP":
        return "USER_GROUP", "", "", str(target["id"])
    return "USER", target["account"], str(target.get("domain") or "").casefold(), ""  # a listing shows none as null


def _outcome(group: str, account: Account, outcome: TargetState, reason: Optional[str] = None) -> Outcome:
    return Outcome(_target(group, account), outcome, reason=reason, details=dict(account.details))
