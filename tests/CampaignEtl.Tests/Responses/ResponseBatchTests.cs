using CampaignEtl.Crm.Responses;

namespace CampaignEtl.Tests.Responses;

/// <summary>The batch the stage fills on its reading side and the writer applies: keys computed on Seal, arrays reused.</summary>
public sealed class ResponseBatchTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Keys_BeforeSeal_Refused()
    {
        var batch = new ResponseBatch();
        batch.Events.Add(Event(ResponseEventType.Open, " 003000000000001 ", "Alice@Example.com"));

        Should.Throw<InvalidOperationException>(() => batch.Keys).Message.ShouldContain("Seal");
    }

    [Fact]
    public void Seal_SameEventOtherSpellingOfTheAddress_SameKeyWithTheTrimmedRecipient()
    {
        var batch = ResponseBatch.Of([
            Event(ResponseEventType.Open, " 003000000000001 ", "Alice@Example.com"),
            Event(ResponseEventType.Open, "003000000000001", " alice@example.com"),
            Event(ResponseEventType.Click, "003000000000001", "alice@example.com"),
        ]);

        var keys = batch.Keys;
        keys.Count.ShouldBe(3);
        keys[0].ShouldBe(keys[1]);
        keys[0].RecipientId.ShouldBe("003000000000001");
        keys[0].MailingId.ShouldBe(9001);
        keys[2].Hash.ShouldNotBe(keys[0].Hash);
    }

    [Fact]
    public void Clear_FilledAgainWithFewerEvents_KeysOfTheNewEventsOnly()
    {
        var batch = ResponseBatch.Of([
            Event(ResponseEventType.Send, "003000000000001", string.Empty),
            Event(ResponseEventType.Send, "003000000000002", string.Empty),
        ]);
        var second = batch.Keys[1];

        batch.Clear();
        batch.Events.Add(Event(ResponseEventType.Send, "003000000000002", string.Empty));
        batch.Seal();

        batch.Keys.Count.ShouldBe(1);
        batch.Keys[0].ShouldBe(second);
    }

    private static LocatedResponse Event(ResponseEventType type, string recipient, string email) =>
        new(new ResponseEvent(type, At, 9001, recipient, email, null, string.Empty, string.Empty), "file.csv", 2);
}
