namespace CampaignEtl.Crm.Responses;

/// <summary>A campaign's sync mode (campaign.sync_mode): what ingest writes for a response event of its mailing.</summary>
internal enum SyncMode
{
    Campaign,
    Activity,
    CampaignAndActivity,
    Notes,
    CampaignOnly,
}

/// <summary>A label of a campaign's member status picklist.</summary>
internal sealed record MemberStatus(bool HasResponded, long SortOrder);

/// <summary>
/// A CRM campaign linked to a platform mailing, cached per writer with its status picklist, the task subjects per
/// label (built once) and the totals the current batch adds.
/// </summary>
internal sealed class CampaignLink(string id, string name, SyncMode mode)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public SyncMode Mode { get; } = mode;

    public bool HasMembers => Mode is SyncMode.Campaign or SyncMode.CampaignAndActivity;

    public bool HasTasks => Mode is SyncMode.Activity or SyncMode.CampaignAndActivity;

    public Dictionary<string, MemberStatus> Statuses { get; } = new(StringComparer.Ordinal);

    public long MaxSortOrder { get; set; }

    public Dictionary<string, string> Subjects { get; } = new(StringComparer.Ordinal);

    /// <summary>Members by person as the writer last read or changed them (bounded by the writer), absent ones included.</summary>
    public Dictionary<string, MemberEntry> Members { get; } = new(StringComparer.Ordinal);

    public string NoteTitle => field ??= "Email campaign: " + Name;

    public long Sent { get; set; }

    public long Opened { get; set; }

    public long Clicked { get; set; }

    public long Bounced { get; set; }

    public long Unsubscribed { get; set; }

    public bool HasPendingTotals => Sent + Opened + Clicked + Bounced + Unsubscribed > 0;

    public void Count(ResponseEventType type)
    {
        switch (type)
        {
            case ResponseEventType.Send: Sent++; break;
            case ResponseEventType.Open: Opened++; break;
            case ResponseEventType.Click: Clicked++; break;
            case ResponseEventType.SoftBounce or ResponseEventType.HardBounce: Bounced++; break;
            default: Unsubscribed++; break;
        }
    }

    public void ClearTotals() => Sent = Opened = Clicked = Bounced = Unsubscribed = 0;

    public static bool TryParseMode(string text, out SyncMode mode)
    {
        mode = text switch
        {
            "campaign" => SyncMode.Campaign,
            "activity" => SyncMode.Activity,
            "campaign+activity" => SyncMode.CampaignAndActivity,
            "notes" => SyncMode.Notes,
            "campaign-only" => SyncMode.CampaignOnly,
            _ => (SyncMode)(-1),
        };
        return Enum.IsDefined(mode);
    }
}

/// <summary>
/// A campaign member as ingest knows it: as read from the CRM, or absent (not created yet), and what the current batch
/// changed, written once at the batch's end. <see cref="IngestUpdatedAt"/> is the updated_at ingest last wrote (null:
/// never), which tells ingest's own writes from a CRM user's.
/// </summary>
internal sealed class MemberEntry
{
    /// <summary>0 while absent from the CRM (and not yet created by the batch).</summary>
    public long Id { get; set; }

    public bool Exists => Id != 0;

    public string Status { get; set; } = string.Empty;

    public string UpdatedAt { get; set; } = string.Empty;

    public string? IngestUpdatedAt { get; set; }

    /// <summary>Changed in the current batch: written at its end.</summary>
    public bool Changed { get; set; }

    /// <summary>Created by the current batch: inserted rather than updated.</summary>
    public bool IsNew { get; set; }

    public string CampaignId { get; set; } = string.Empty;

    public string PersonId { get; set; } = string.Empty;

    /// <summary>The first responded date the batch gives (the CRM's own one, if any, is kept).</summary>
    public string? Responded { get; set; }

    public string File { get; set; } = string.Empty;

    public long Line { get; set; }
}
