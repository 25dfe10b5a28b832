"""Measure an operation before it runs: field depth, aliases, root fields and estimated cost.

The walk follows named fragments (each measured once, so a fragment spread many times is
not re-walked) and inline fragments. It never trusts the document to be valid: unknown
fields and fragments count as plain fields, and a fragment cycle adds nothing (the spec
rules report those). `__typename` counts for nothing. `__schema` and `__type` (and the
fields under them) count as aliases, root fields and fields but add no depth or cost: their
size is bounded by the schema, and GraphiQL's introspection query is 13 levels deep.

Cost model: every field costs 1. A field that returns many items multiplies the cost of
its selection by how many it may return:
- a paginated field (it takes `first`): the literal `first`, the largest page when `first`
  is a variable (its value is not known at validation time), the default page otherwise;
- a plain list: a per-field size when the domain bounds it (`LIST_SIZES`), else
  `DEFAULT_LIST_SIZE`.
`edges` inside a connection is not multiplied again: `first` already counted it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from alliance.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

DEFAULT_LIST_SIZE = 10
# Lists whose length the domain bounds more tightly than DEFAULT_LIST_SIZE.
LIST_SIZES: dict[tuple[str, str], int] = {
    ("ProductVariant", "prices"): 2,  # one price per channel: online and base
    ("ProductImage", "thumbnails"): 4,  # one per IMAGE_THUMBNAIL_SIZES (3 today) + 1 spare
}
# A selection nested deeper than this (fields plus fragment spreads) is not walked further;
# it is reported as too deep long before, and the walk stays far from the recursion limit.
WALK_LIMIT = 100


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    root_fields: int = 0
    fields: int = 0  # field selections as written, fragments expanded; lists not multiplied

    def plus(self, other: Measure) -> Measure:
        """Two selections side by side."""
        return Measure(
            depth=max(self.depth, other.depth),
            aliases=self.aliases + other.aliases,
            cost=self.cost + other.cost,
            root_fields=self.root_fields + other.root_fields,
            fields=self.fields + other.fields,
        )


_NOTHING = Measure()


class OperationMeasurer:
    """Measures operations of one document (create one per operation to keep them apart).

    `level` counts every nested selection set (fields and fragments) to bound the walk;
    `at_root` is true for selections whose fields are root fields (the operation's own
    selection set and fragments spread directly in it).
    """

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self._fragment_measures: dict[tuple[str, bool], Measure] = {}
        self._visiting: set[str] = set()

    def measure(self, operation: OperationDefinitionNode) -> Measure:
        root_type = self.schema.get_root_type(operation.operation)
        return self._selection_set(operation.selection_set, root_type, 0, True)

    def _selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        level: int,
        at_root: bool,
    ) -> Measure:
        if level > WALK_LIMIT:
            return Measure(depth=WALK_LIMIT)
        total = _NOTHING
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, level, at_root)
            elif isinstance(selection, InlineFragmentNode):
                type_ = parent
                if selection.type_condition is not None:
                    type_ = self.schema.get_type(selection.type_condition.name.value)
                part = self._selection_set(selection.selection_set, type_, level + 1, at_root)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._fragment(selection.name.value, level, at_root)
            else:  # pragma: no cover - the parser makes no other selection
                continue
            total = total.plus(part)
        return total

    def _fragment(self, name: str, level: int, at_root: bool) -> Measure:
        cached = self._fragment_measures.get((name, at_root))
        if cached is not None:
            return cached
        definition = self.fragments.get(name)
        if definition is None or name in self._visiting:
            return _NOTHING  # unknown fragment or a cycle: the spec rules refuse both
        self._visiting.add(name)
        try:
            type_ = self.schema.get_type(definition.type_condition.name.value)
            result = self._selection_set(definition.selection_set, type_, level + 1, at_root)
        finally:
            self._visiting.discard(name)
        self._fragment_measures[(name, at_root)] = result
        return result

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None, level: int, at_root: bool
    ) -> Measure:
        name = node.name.value
        if name == "__typename":
            return _NOTHING
        field_def = _field_def(parent, name)
        child_type = get_named_type(field_def.type) if field_def else None
        child = _NOTHING
        if node.selection_set is not None:
            child = self._selection_set(node.selection_set, child_type, level + 1, False)
        aliases = (1 if node.alias is not None else 0) + child.aliases
        root_fields = 1 if at_root else 0
        if name.startswith("__"):  # __schema, __type: sized by the schema, not the data
            return Measure(aliases=aliases, root_fields=root_fields, fields=1 + child.fields)
        return Measure(
            depth=1 + child.depth,
            aliases=aliases,
            cost=1 + _multiplier(node, parent, field_def) * child.cost,
            root_fields=root_fields,
            fields=1 + child.fields,
        )


def _field_def(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return parent.fields.get(name)
    return None


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= set(type_.fields)


def _multiplier(
    node: FieldNode, parent: GraphQLNamedType | None, field_def: GraphQLField | None
) -> int:
    if field_def is None:
        return 1
    if "first" in field_def.args:
        return _page_size(node)
    if not _is_list(field_def.type):
        return 1
    if node.name.value == "edges" and _is_connection(parent):
        return 1  # the connection field counted its page already
    return LIST_SIZES.get((parent.name if parent else "", node.name.value), DEFAULT_LIST_SIZE)


def _page_size(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 0)
        if isinstance(value, VariableNode):
            return MAX_PAGE_SIZE  # unknown until execution: assume the largest page
        return DEFAULT_PAGE_SIZE  # null or a wrong literal (refused by the spec rules)
    return DEFAULT_PAGE_SIZE
