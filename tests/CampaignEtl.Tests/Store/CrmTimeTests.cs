using System.Globalization;
using CampaignEtl.Crm.Store;

namespace CampaignEtl.Tests.Store;

public sealed class CrmTimeTests
{
    [Theory]
    [InlineData("2026-11-30T14:42:00.000Z")]
    [InlineData("0001-01-01T00:00:00.000Z")]
    [InlineData("9999-12-31T23:59:59.999Z")]
    [InlineData("2024-02-29T07:05:09.040Z")]
    public void Format_KnownInstant_IsoWithMilliseconds(string iso)
    {
        var instant = DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

        CrmTime.Format(instant).ShouldBe(iso);
    }

    [Fact]
    public void Format_OtherOffset_WrittenInUtc()
    {
        CrmTime.Format(new DateTimeOffset(2026, 12, 3, 1, 30, 15, 123, TimeSpan.FromHours(2))).ShouldBe("2026-12-02T23:30:15.123Z");
    }

    [Fact]
    public void Format_ManyInstants_SameAsTheCustomFormat()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var instant = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero);

            CrmTime.Format(instant).ShouldBe(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
    }
}
