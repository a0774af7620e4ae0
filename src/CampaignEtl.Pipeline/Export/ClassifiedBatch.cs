using CampaignEtl.Crm.Selections;

namespace CampaignEtl.Pipeline.Export;

/// <summary>A batch of selected people with the verdict for each, in the same order.</summary>
internal sealed record ClassifiedBatch(ExportCandidate[] Candidates, Verdict[] Verdicts)
{
    public static ClassifiedBatch Classify(ExportCandidate[] candidates, Blocklist blocklist)
    {
        var verdicts = new Verdict[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            verdicts[i] = Verdict.For(candidates[i], blocklist);
        }

        return new ClassifiedBatch(candidates, verdicts);
    }

    public override string ToString() => $"ClassifiedBatch of {Candidates.Length}";
}
