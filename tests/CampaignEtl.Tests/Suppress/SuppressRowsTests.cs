using CampaignEtl.Crm.Suppression;
using CampaignEtl.Pipeline.Suppress;

namespace CampaignEtl.Tests.Suppress;

public sealed class SuppressRowsTests
{
    private const string Source = "soap:getResponses";

    [Fact]
    public void Response_HardAndSoftBounce_EventsWithKindTimeAndReason()
    {
        var hard = SuppressRows.Response(["9001", "003A", "a@example.org", "1795420800000", "hardbounce", "550 5.1.1"], Source).Event!;
        var soft = SuppressRows.Response(["9001", "003B", "b@example.org", "1795420800000", "SoftBounce", null], Source).Event!;

        hard.ShouldBe(new SuppressionEvent(SuppressionKind.Hard, "003A", "a@example.org", null, DateTimeOffset.FromUnixTimeMilliseconds(1795420800000), "550 5.1.1", "9001", Source));
        soft.Kind.ShouldBe(SuppressionKind.Soft);
        soft.Reason.ShouldBe(string.Empty);
    }

    [Theory]
    [InlineData("complaint", "category", "unknown-category")]
    [InlineData("", "category", "unknown-category")]
    public void Response_UnknownCategory_IsRejected(string category, string column, string reason)
    {
        var problem = SuppressRows.Response(["9001", "003A", "a@example.org", "1795420800000", category, "x"], Source).Problem!;

        problem.Column.ShouldBe(column);
        problem.Reason.ShouldBe(reason);
        problem.RecipientId.ShouldBe("003A");
    }

    [Fact]
    public void Response_BadTimeAndMissingColumns_AreRejected()
    {
        SuppressRows.Response(["9001", "003A", "a@example.org", "yesterday", "hardbounce", "x"], Source).Problem!.Reason.ShouldBe("bad-date");
        SuppressRows.Response(["9001", "003A", "a@example.org"], Source).Problem!.Reason.ShouldBe("missing-columns");
        SuppressRows.Response(["x9", "003A", "a@example.org", "1", "hardbounce", "x"], Source).Problem!.Reason.ShouldBe("bad-number");
        SuppressRows.Response(["9001", "", null, "1", "hardbounce", "x"], Source).Problem!.Reason.ShouldBe("missing-recipient");
    }

    [Fact]
    public void Unsubscribe_EmptyListIdIsClientWide_NumberIsList()
    {
        SuppressRows.Unsubscribe(["003A", "a@example.org", "1000", ""], "s").Event!.ListId.ShouldBeNull();
        SuppressRows.Unsubscribe(["003A", "a@example.org", "1000", "1001"], "s").Event!.ListId.ShouldBe(1001);
        SuppressRows.Unsubscribe(["003A", "a@example.org", "1000", "-5"], "s").Problem!.Reason.ShouldBe("bad-number");
    }

    [Fact]
    public void OutBounce_Row_IsAnOutbounceEvent() =>
        SuppressRows.OutBounce(["", "a@example.org", "1000"], "s").Event!.Kind.ShouldBe(SuppressionKind.Outbounce);

    [Theory]
    [InlineData("2026-11-23T08:00:00Z", true)]
    [InlineData("2026-11-23T08:00:00.123Z", true)]
    [InlineData("2026-11-23T09:00:00+01:00", true)]
    [InlineData("2026-02-30T08:00:00Z", false)]
    [InlineData("23.11.2026 08:00", false)]
    [InlineData("", false)]
    public void TryIso_Formats(string text, bool ok)
    {
        SuppressRows.TryIso(text, out var at).ShouldBe(ok);
        if (ok)
        {
            at.ToUnixTimeMilliseconds().ShouldBeInRange(1795420800000, 1795420800123);
        }
    }

    [Fact]
    public void Key_SameEventDifferentCaseOfAddress_SameKey()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1795420800000);
        var a = new SuppressionEvent(SuppressionKind.Hard, "003A", "A@Example.org ", null, at, "x", "1", "s1");
        var b = new SuppressionEvent(SuppressionKind.Hard, "003A", "a@example.org", null, at, "other reason", "2", "s2");

        a.Key().ShouldBe(b.Key());
        (a with { Kind = SuppressionKind.Soft }).Key().ShouldNotBe(a.Key());
    }

    // The ledger of an existing CRM holds these keys: the key must not change with its implementation
    // (expected values: SHA-256 of "kind|recipient id|trimmed lower-case address|list|unix ms", computed outside .NET).
    [Theory]
    [InlineData(SuppressionKind.Unsubscribe, "003000000000020", "  Bob@Example.COM ", 1001L, 1764000000123L, "7af9ed62cd771a0d81f2d8848e5502aad7b5bd7f225a8ea6d5df6b4b16355dc4")]
    [InlineData(SuppressionKind.Outbounce, "", "Bruno.M\u00DCLLER@example.de", null, 1764000000000L, "a3022746f62cf45abf60bb3b9654b028a42f1774d6debb5fdd7c8eadc74433bb")]
    public void Key_KnownEvent_StableLedgerKey(SuppressionKind kind, string recipientId, string email, long? listId, long unixMs, string expected)
    {
        var e = new SuppressionEvent(kind, recipientId, email, listId, DateTimeOffset.FromUnixTimeMilliseconds(unixMs), "reason", "9001", "soap");

        e.Key().ShouldBe(expected);
    }
}
