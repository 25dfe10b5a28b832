// Stripe Payment Element (card, Alipay, WeChat Pay). Loaded on the payment page only, and
// only when a publishable key is configured. The page after payment asks the backend for the
// order's state; nothing here marks an order paid.
//
// Stripe.js is always loaded from js.stripe.com (Stripe requires it; the form's
// data-stripe-js holds the URL), and from this script, so that a network that cannot reach
// Stripe (script error, or no ready element within LOAD_TIMEOUT_MS) or an element that fails
// to load shows #payment-unavailable instead of an empty form. The pay button stays disabled
// until the element is ready.
(function () {
  var LOAD_TIMEOUT_MS = 15000;
  var form = document.getElementById("stripe-form");
  if (!form) return;
  var button = document.getElementById("pay-button");
  var loading = document.getElementById("payment-loading");
  var unavailable = document.getElementById("payment-unavailable");
  var message = document.getElementById("payment-message");

  // "loading" -> "ready", or -> "unavailable" (error, or still loading after
  // LOAD_TIMEOUT_MS); an element that becomes ready after the timeout still wins.
  function fail() {
    if (form.dataset.state === "ready") return;
    loading.hidden = true;
    unavailable.hidden = false;
    button.disabled = true;
    // nothing to pay with: no button that looks usable (style, as button.primary's display
    // rule would beat the hidden attribute)
    button.style.display = "none";
    form.dataset.state = "unavailable";
  }

  function ready() {
    clearTimeout(timer);
    loading.hidden = true;
    unavailable.hidden = true;
    button.style.display = "";
    button.disabled = false;
    form.dataset.state = "ready";
  }

  function start() {
    if (typeof Stripe === "undefined") return fail();
    var stripe, elements, element;
    try {
      stripe = Stripe(form.dataset.key);
      elements = stripe.elements({
        clientSecret: form.dataset.secret,
        locale: document.documentElement.lang === "en" ? "en" : "zh",
      });
      element = elements.create("payment");
      element.on("ready", ready);
      element.on("loaderror", fail);
      element.mount("#payment-element");
    } catch (error) {
      return fail();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.state !== "ready") return;
      button.disabled = true;
      message.hidden = true;
      stripe
        .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.return } })
        .then(function (result) {
          if (result.error) {
            message.textContent = result.error.message;
            message.hidden = false;
            button.disabled = false;
          }
        })
        .catch(function () {
          // Stripe unreachable while confirming: nothing was decided, the buyer may retry
          unavailable.hidden = false;
          button.disabled = false;
        });
    });
  }

  // No submit without the element: a plain form submit would only reload this page.
  form.addEventListener("submit", function (event) {
    if (form.dataset.state !== "ready") event.preventDefault();
  });
  form.dataset.state = "loading";
  loading.hidden = false;
  var timer = setTimeout(fail, LOAD_TIMEOUT_MS);
  var script = document.createElement("script");
  script.src = form.dataset.stripeJs;
  script.async = true;
  script.onload = start;
  script.onerror = function () {
    clearTimeout(timer);
    fail();
  };
  document.head.appendChild(script);
})();
