// The provider's hosted page takes a form POST: send it at once (the button stays for a browser without scripts).
document.getElementById("provider-form").submit();
