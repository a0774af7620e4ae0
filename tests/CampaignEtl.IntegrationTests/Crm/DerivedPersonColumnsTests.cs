using CampaignEtl.IntegrationTests.Support;

namespace CampaignEtl.IntegrationTests.Crm;

/// <summary>
/// The person table's derived columns (account name, granted and revoked opt-ins, marketing lists)
/// that the export reads instead of joining: after every kind of change they must equal what the
/// source tables say.
/// </summary>
public sealed class DerivedPersonColumnsTests
{
    [Fact]
    public async Task DerivedColumns_GeneratedCrm_EqualTheSourceTables()
    {
        using var workspace = new TestWorkspace(contacts: 300);

        (await MismatchesAsync(workspace)).ShouldBeEmpty();
    }

    [Fact]
    public async Task DerivedColumns_EveryKindOfChange_FollowTheSourceTables()
    {
        using var workspace = new TestWorkspace(contacts: 120);
        var consents = await workspace.QueryCrmAsync("SELECT person_id FROM consent WHERE status = 'granted' ORDER BY person_id LIMIT 4");
        var members = await workspace.QueryCrmAsync("SELECT person_id FROM marketing_list_member ORDER BY person_id LIMIT 3");
        var contacts = await workspace.QueryCrmAsync("SELECT id FROM person WHERE entity_type = 'contact' AND account_id IS NOT NULL ORDER BY id LIMIT 2");

        await workspace.ExecuteCrmAsync("UPDATE consent SET status = 'revoked' WHERE person_id = $id", ("$id", consents[0]));
        await workspace.ExecuteCrmAsync("DELETE FROM consent WHERE person_id = $id", ("$id", consents[1]));
        await workspace.ExecuteCrmAsync(
            "INSERT OR REPLACE INTO consent (person_id, opt_in_id, status, changed_at, changed_by) SELECT person_id, opt_in_id, 'revoked', changed_at, 'test' FROM consent WHERE person_id = $id",
            ("$id", consents[2]));
        await workspace.ExecuteCrmAsync(
            "INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by) VALUES ($id, 503, 'granted', '2026-11-24T00:00:00.000Z', 'test') ON CONFLICT (person_id, opt_in_id) DO UPDATE SET status = 'granted'",
            ("$id", consents[3]));
        await workspace.ExecuteCrmAsync("UPDATE consent SET person_id = $to WHERE person_id = $from AND opt_in_id = 501 AND NOT EXISTS (SELECT 1 FROM consent WHERE person_id = $to AND opt_in_id = 501)",
            ("$from", consents[3]), ("$to", members[2]));
        await workspace.ExecuteCrmAsync("DELETE FROM marketing_list_member WHERE person_id = $id", ("$id", members[0]));
        await workspace.ExecuteCrmAsync("INSERT OR IGNORE INTO marketing_list_member (list_id, person_id, added_at) VALUES (3, $id, '2026-11-24T00:00:00.000Z')", ("$id", members[1]));
        await workspace.ExecuteCrmAsync("UPDATE marketing_list_member SET list_id = 3 WHERE person_id = $id AND list_id <> 3 AND NOT EXISTS (SELECT 1 FROM marketing_list_member WHERE person_id = $id AND list_id = 3)", ("$id", members[2]));
        await workspace.ExecuteCrmAsync("UPDATE person SET account_id = (SELECT max(id) FROM account) WHERE id = $id", ("$id", contacts[0]));
        await workspace.ExecuteCrmAsync("UPDATE account SET name = 'Renamed GmbH' WHERE id = (SELECT account_id FROM person WHERE id = $id)", ("$id", contacts[1]));
        await workspace.ExecuteCrmAsync(
            "INSERT INTO person (id, entity_type, account_id, last_name, created_at, updated_at) VALUES ('003999999999999', 'contact', (SELECT min(id) FROM account), 'New', '2026-11-24T00:00:00.000Z', '2026-11-24T00:00:00.000Z')");

        (await MismatchesAsync(workspace)).ShouldBeEmpty();
        (await workspace.QueryCrmAsync("SELECT account_name FROM person WHERE id = '" + contacts[1] + "'")).ShouldBe(["Renamed GmbH"]);
    }

    /// <summary>Each person whose derived columns differ from the source tables, compared as sets.</summary>
    private static async Task<List<string>> MismatchesAsync(TestWorkspace workspace)
    {
        var derived = await workspace.QueryCrmAsync("""
            SELECT p.id || '|' || ifnull(p.account_name, '') || '|' || p.opt_ins_granted || '|' || p.opt_ins_revoked || '|' || p.marketing_lists FROM person p
            """);
        var source = (await workspace.QueryCrmAsync("""
            SELECT p.id || '|' || ifnull((SELECT a.name FROM account a WHERE a.id = p.account_id), '')
                || '|' || ifnull((SELECT group_concat(c.opt_in_id, ' ') FROM consent c WHERE c.person_id = p.id AND c.status = 'granted'), '')
                || '|' || ifnull((SELECT group_concat(c.opt_in_id, ' ') FROM consent c WHERE c.person_id = p.id AND c.status = 'revoked'), '')
                || '|' || ifnull((SELECT group_concat(m.list_id, ' ') FROM marketing_list_member m WHERE m.person_id = p.id), '')
            FROM person p
            """)).ToDictionary(r => r.Split('|')[0], Normalize, StringComparer.Ordinal);
        derived.Count.ShouldBe(source.Count);
        return derived.Where(r => Normalize(r) != source[r.Split('|')[0]]).ToList();
    }

    /// <summary>id|account|granted|revoked|lists with each set sorted, whatever its separators.</summary>
    private static string Normalize(string row)
    {
        var fields = row.Split('|');
        for (var i = 2; i < fields.Length; i++)
        {
            fields[i] = string.Join(' ', fields[i].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        }

        return string.Join('|', fields);
    }
}
