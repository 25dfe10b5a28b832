"""The console under /console/: cooperatives, first secretaries and alliance staff."""

from django.urls import path

from console.views import auth, month, operator, secretary, staff

app_name = "console"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    # cooperative operator
    path("products/", operator.products, name="products"),
    path("products/new/", operator.product_new, name="product_new"),
    path("products/<str:product_id>/", operator.product_edit, name="product_edit"),
    path("products/<str:product_id>/photos/", operator.product_photo, name="product_photo"),
    path("stock/receive/", operator.stock_receive, name="stock_receive"),
    path("fulfil/", operator.fulfil, name="fulfil"),
    # first secretary
    path("producers/", secretary.producers, name="producers"),
    path("approvals/", secretary.approvals, name="approvals"),
    path("sales/", month.sales, name="sales"),
    # alliance staff
    path("counter/", staff.counter, name="counter"),
    path("counter/receipts/<str:number>/", staff.receipt, name="receipt"),
    path("transfers/", staff.transfers, name="transfers"),
    path("stock/count/", staff.stock_count, name="stock_count"),
    path("stock/expiring/", staff.expiring, name="expiring"),
    path("month-close/", month.month_close, name="month_close"),
    path("statements/", month.statements, name="statements"),
    path("statements/<str:statement_id>/", month.statement, name="statement"),
    path("exports/", month.exports, name="exports"),
    path("exports/<str:export_id>/", month.export_status, name="export_status"),
    path("exports/<str:export_id>/download/", month.export_download, name="export_download"),
    path("dashboard/", month.dashboard, name="dashboard"),
    path("records/<str:record_id>/", month.record, name="record"),
]
