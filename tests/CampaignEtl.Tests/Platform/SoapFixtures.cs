using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Tests.Platform;

/// <summary>The wire fixtures in <c>testdata/soap</c>, from the test output or, failing that, the repository.</summary>
internal static class SoapFixtures
{
    private static readonly Lazy<string> Folder = new(Find);

    public static string PathOf(string name) => Path.Combine(Folder.Value, name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static RpcResult Read(PlatformOperation operation, string name, SecretScrubber? scrubber = null)
    {
        using var stream = File.OpenRead(PathOf(name));
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true });
        return RpcResponseReader.ReadEnvelope(reader, operation, scrubber);
    }

    /// <summary>The repository root: the folder above the test output holding CampaignEtl.sln.</summary>
    public static DirectoryInfo? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CampaignEtl.sln")))
            {
                return dir;
            }
        }

        return null;
    }

    private static string Find()
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "testdata", "soap");
        if (Directory.Exists(copied))
        {
            return copied;
        }

        var root = RepositoryRoot() ?? throw new DirectoryNotFoundException($"testdata/soap not found in {AppContext.BaseDirectory} or any parent");
        return Path.Combine(root.FullName, "testdata", "soap");
    }
}
