"""Stand-ins for the catalogue and order modules of the ERP (the admin saves through these)."""

from crm.models import Order, Product
from search.services import index_update


def product_save(*, product: Product) -> Product:
    product.full_clean()
    product.save()
    index_update(product)
    return product


def order_save(*, order: Order) -> Order:
    order.full_clean()
    order.save()
    index_update(order)
    return order
