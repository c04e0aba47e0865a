from django import forms
from django.contrib.auth.forms import AuthenticationForm

from shared_apps.accounts.errors import AccountsError
from shared_apps.accounts.phones import phone_normalize


class PhoneSignInForm(AuthenticationForm):
    """Phone + password, until one-time codes replace passwords (identity issue)."""

    username = forms.CharField(
        label="Phone number",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+92 300 1234567"}),
    )

    def clean_username(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["username"])
        except AccountsError as exc:
            raise forms.ValidationError(exc.message) from exc
