from alliance.core.errors import DomainError


class CatalogError(DomainError):
    code = "INVALID"


class DuplicateSku(CatalogError):
    code = "DUPLICATE_SKU"


class InvalidImage(CatalogError):
    code = "INVALID_IMAGE"


class ImageTooLarge(CatalogError):
    code = "IMAGE_TOO_LARGE"


class UnknownChannel(CatalogError):
    code = "UNKNOWN_CHANNEL"


class ImageTooManyPixels(CatalogError):
    code = "IMAGE_TOO_MANY_PIXELS"


class TooManyImages(CatalogError):
    code = "TOO_MANY_IMAGES"
