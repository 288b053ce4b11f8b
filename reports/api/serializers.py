"""Report API serializers (REP-1..REP-4)."""

from rest_framework import serializers

from licenses.models import License
from reports.models import Delivery, DeliveryAttempt, Destination, DestinationKind


class LicenseReportSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.article_number")
    product_name = serializers.CharField(source="product.name")
    customer = serializers.CharField(source="holder.number")
    customer_name = serializers.CharField(source="holder.name")
    reseller = serializers.CharField(source="issuer.number")
    tenant = serializers.CharField(source="tenant.number", default=None)

    class Meta:
        model = License
        fields = [
            "key",
            "kind",
            "status",
            "product",
            "product_name",
            "customer",
            "customer_name",
            "reseller",
            "tenant",
            "quantity",
            "issued_at",
            "expires_at",
        ]


class SubscriptionAtCutoffSerializer(serializers.Serializer):
    license = serializers.CharField(source="license.key")
    kind = serializers.CharField(source="license.kind")
    customer = serializers.CharField(source="license.holder.number")
    reseller = serializers.CharField(source="license.issuer.number")
    product = serializers.CharField(source="license.product.article_number")
    term = serializers.CharField()
    started_on = serializers.DateField()
    current_period_start = serializers.DateField()
    current_period_end = serializers.DateField()
    auto_renew = serializers.BooleanField()
    cancelled_at = serializers.DateTimeField()


class SubscriptionMonthSerializer(serializers.Serializer):
    license = serializers.CharField(source="subscription.license.key")
    kind = serializers.CharField(source="subscription.license.kind")
    customer = serializers.CharField(source="subscription.license.holder.number")
    reseller = serializers.CharField(source="subscription.license.issuer.number")
    product = serializers.CharField(source="subscription.license.product.article_number")
    term = serializers.CharField(source="subscription.term")
    start = serializers.DateField()
    until = serializers.DateField(source="last_day")
    days = serializers.IntegerField()
    month_days = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=6, decimal_places=4)
    events = serializers.ListField(child=serializers.CharField())


class StatementLineSerializer(serializers.Serializer):
    reseller = serializers.CharField(source="reseller.number")
    customer = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.name")
    license = serializers.CharField(source="license.key")
    product = serializers.CharField(source="license.product.article_number")
    term = serializers.CharField()
    quantity = serializers.IntegerField()
    start = serializers.DateField()
    until = serializers.DateField(source="last_day")
    days = serializers.IntegerField()
    month_days = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    reseller = serializers.CharField(source="reseller.number")
    month = serializers.DateField(format="%Y-%m")
    currency = serializers.SerializerMethodField()
    lines = StatementLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)

    def get_currency(self, obj) -> str:
        return "EUR"


class DestinationOutputSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.number")

    class Meta:
        model = Destination
        fields = [
            "id",
            "account",
            "name",
            "kind",
            "url",
            "email",
            "send_licenses",
            "send_statement",
            "active",
            "secret",
            "created_at",
        ]


class DestinationInputSerializer(serializers.Serializer):
    account = serializers.CharField(
        required=False, help_text="Customer number of the reseller (or the vendor)."
    )
    name = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(choices=DestinationKind.choices, required=False)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    send_licenses = serializers.BooleanField(required=False)
    send_statement = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "ok", "error"]


class DeliveryOutputSerializer(serializers.ModelSerializer):
    destination = serializers.IntegerField(source="destination_id")
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "destination",
            "content",
            "period_start",
            "period_end",
            "status",
            "attempts",
            "resends",
            "last_status_code",
            "last_error",
            "rows",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]
