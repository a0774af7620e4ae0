using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.Tests.Transfer;

public sealed class RemoteNameTests
{
    [Theory]
    [InlineData("responses-20261124.csv")]
    [InlineData("responses 2026-11-24 (1).csv")]
    [InlineData(".hidden.csv")]
    [InlineData("Rückläufer.csv")]
    public void Problem_UsableName_IsNull(string name) => RemoteName.Problem(name).ShouldBeNull();

    [Theory]
    [InlineData("", "empty")]
    [InlineData(".", "not file names")]
    [InlineData("..", "not file names")]
    [InlineData("../responses.csv", "'..'")]
    [InlineData("responses..csv", "'..'")]
    [InlineData("in/responses.csv", "path separator")]
    [InlineData("/etc/passwd", "path separator")]
    [InlineData("in\\responses.csv", "path separator")]
    [InlineData("responses\r\nDELE x.csv", "control character U+000D")]
    [InlineData("responses\n.csv", "control character U+000A")]
    [InlineData("responses\0.csv", "control character U+0000")]
    [InlineData("responses\t.csv", "control character U+0009")]
    [InlineData("responses\u007f.csv", "control character U+007F")]
    [InlineData("responses\u0085.csv", "control character U+0085")]
    [InlineData("responses\u2028.csv", "control character U+2028")]
    public void ThrowIfInvalid_BadName_ThrowsNamingTheProblem(string name, string problem)
    {
        var error = Should.Throw<FileDropException>(() => RemoteName.ThrowIfInvalid(name, "download"));

        error.Message.ShouldStartWith("download: remote name '");
        error.Message.ShouldContain(problem);
        error.Message.ShouldNotContain("\r");
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Problem_NameLongerThan255_IsRefused() => RemoteName.Problem(new string('a', 256)).ShouldNotBeNull();

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("out")]
    [InlineData("/home/drop/out/")]
    public void FolderProblem_UsableFolder_IsNull(string folder) => RemoteName.FolderProblem(folder).ShouldBeNull();

    [Theory]
    [InlineData("out/../../etc")]
    [InlineData("out\\in")]
    [InlineData("out/\nx")]
    public void FolderProblem_BadFolder_IsNamed(string folder) => RemoteName.FolderProblem(folder).ShouldNotBeNull();

    [Theory]
    [InlineData("../escape.csv")]
    [InlineData("a/b.csv")]
    [InlineData("x\r\n.csv")]
    public async Task EveryOperation_BadName_IsRefusedWithoutTouchingTheDrop(string name)
    {
        using var folder = new TempFolder();
        var drop = FileDrops.Create(new TransferOptions { LocalFolder = folder.Path }, TimeProvider.System, NullLoggerFactory.Instance);
        var local = folder.File("local.csv", "x");
        var ct = TestContext.Current.CancellationToken;

        (await Should.ThrowAsync<FileDropException>(() => drop.DownloadAsync(name, Path.Combine(folder.Path, "t.csv"), ct))).Message.ShouldContain("refused");
        (await Should.ThrowAsync<FileDropException>(() => drop.UploadAsync(local, name, ct))).Message.ShouldContain("refused");
        (await Should.ThrowAsync<FileDropException>(() => drop.MoveToProcessedAsync(name, ct))).Message.ShouldContain("refused");
        Directory.GetFileSystemEntries(folder.Path).ShouldBe([local]);
    }
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "campaignetl-tests", "transfer-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string File(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
