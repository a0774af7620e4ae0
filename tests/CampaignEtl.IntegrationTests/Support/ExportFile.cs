using CampaignEtl.Pipeline.Csv;
using CsvHelper;

namespace CampaignEtl.IntegrationTests.Support;

/// <summary>Reads an archived CSV back (header plus rows as string arrays) with the product's own dialect.</summary>
internal static class ExportFile
{
    public static (string[] Header, List<string[]> Rows) Read(string path)
    {
        using var reader = CsvReader.FromFile(path, CsvFormats.Reader);
        var rows = new List<string[]>();
        string[] header = [];
        while (reader.Read())
        {
            header = [.. reader.Headers];
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.GetString(i);
            }

            rows.Add(row);
        }

        return (header, rows);
    }

    public static string Single(TestWorkspace workspace, string pattern) =>
        workspace.ArchivedFiles(pattern).ShouldHaveSingleItem();
}
