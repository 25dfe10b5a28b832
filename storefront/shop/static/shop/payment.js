// Stripe Payment Element (card, Alipay, WeChat Pay). Loaded on the payment page only, and
// only when a publishable key is configured. The page after payment asks the backend for the
// order's state; nothing here marks an order paid.
(function () {
  var form = document.getElementById("stripe-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.key);
  var elements = stripe.elements({ clientSecret: form.dataset.secret, locale: document.documentElement.lang === "en" ? "en" : "zh" });
  elements.create("payment").mount("#payment-element");
  var message = document.getElementById("payment-message");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    document.getElementById("pay-button").disabled = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.return } })
      .then(function (result) {
        if (result.error) {
          message.textContent = result.error.message;
          message.hidden = false;
          document.getElementById("pay-button").disabled = false;
        }
      });
  });
})();
