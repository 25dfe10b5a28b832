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
