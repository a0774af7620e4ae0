namespace CampaignEtl.Pipeline.Runs;

/// <summary>The configuration does not fit the systems it names; every problem is listed. Exit code 2.</summary>
public sealed class ConfigurationProblemsException(IReadOnlyList<string> problems)
    : Exception("the configuration has " + problems.Count + " problem(s):" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
