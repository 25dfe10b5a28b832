"""The shop's URL map (server-rendered pages; every page works without JavaScript except
the Stripe payment form).

    /                                   home: categories, seasonal picks, villages
    /c/<slug>/                          category listing; ?village= &producer= &min= &max=
                                        &in_stock=1 &pickup=1 &sort= &after= (next page)
    /search/?q=蜂蜜                      search, same filters and sorting as a category
    /villages/                          every village, by township
    /villages/<code>/                   a village: township, story, producers, products
    /producers/<pk>/                    a producer (cooperative, enterprise, household)
    /products/<pk>/                     a product: photos, variants, lot, stock, add to cart
    /cart/                              the cart; POST /cart/add/, /cart/update/, /cart/remove/
    /checkout/                          contact, delivery or pick-up, address; POST places it
    /checkout/pay/<number>/             payment: Stripe Payment Element, or the demo payment
    /checkout/pay/<number>/demo/        POST: pay with the backend's demo gateway
    /orders/<number>/confirmation/      the order's state, as the backend reports it
    /account/                           my orders (sign-in required)
    /account/orders/<number>/           one order, with the origin of every line
    /account/signin/ /account/register/ /account/signout/ (POST)
    /i18n/setlang/                      (config/urls.py) POST: switch 中文 / English

/console/ is reserved for the console app (issue 7).
"""

from django.urls import path

from shop.views import account, cart, catalog, checkout

urlpatterns = [
    path("", catalog.home, name="home"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("search/", catalog.search, name="search"),
    path("villages/", catalog.villages, name="villages"),
    path("villages/<str:code>/", catalog.village, name="village"),
    path("producers/<int:pk>/", catalog.producer, name="producer"),
    path("products/<int:pk>/", catalog.product, name="product"),
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.add, name="cart-add"),
    path("cart/update/", cart.update, name="cart-update"),
    path("cart/remove/", cart.remove, name="cart-remove"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("checkout/pay/<str:number>/", checkout.pay, name="pay"),
    path("checkout/pay/<str:number>/demo/", checkout.pay_demo, name="pay-demo"),
    path("orders/<str:number>/confirmation/", checkout.confirmation, name="confirmation"),
    path("account/", account.account, name="account"),
    path("account/orders/<str:number>/", account.order_detail, name="account-order"),
    path("account/signin/", account.signin, name="signin"),
    path("account/register/", account.register, name="register"),
    path("account/signout/", account.signout, name="signout"),
]
