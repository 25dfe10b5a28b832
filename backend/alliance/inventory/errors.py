from alliance.core.errors import DomainError


class InventoryError(DomainError):
    code = "INVALID"


class InsufficientStock(InventoryError):
    code = "INSUFFICIENT_STOCK"


class InvalidQuantity(InventoryError):
    code = "INVALID_QUANTITY"


class LotExpired(InventoryError):
    code = "LOT_EXPIRED"


class UnknownLot(InventoryError):
    code = "UNKNOWN_LOT"


class WrongWarehouse(InventoryError):
    code = "WRONG_WAREHOUSE"


class TransferNotInTransit(InventoryError):
    code = "TRANSFER_NOT_IN_TRANSIT"


class ReasonRequired(InventoryError):
    code = "REASON_REQUIRED"


class LotRequired(InventoryError):
    code = "LOT_REQUIRED"


class InvalidLotDates(InventoryError):
    code = "INVALID_LOT_DATES"


class LotCodeConflict(InventoryError):
    code = "LOT_CODE_CONFLICT"


class CountBelowAllocated(InventoryError):
    code = "COUNT_BELOW_ALLOCATED"


class DuplicateLine(InventoryError):
    code = "DUPLICATE_LINE"


class UnknownVariant(InventoryError):
    code = "UNKNOWN_VARIANT"


class UnknownChannel(InventoryError):
    code = "UNKNOWN_CHANNEL"


class ReferenceRequired(InventoryError):
    code = "REFERENCE_REQUIRED"


class ShortfallReasonRequired(InventoryError):
    code = "SHORTFALL_REASON_REQUIRED"
