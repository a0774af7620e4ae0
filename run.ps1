#!/usr/bin/env pwsh
# A thin mirror of run.sh for PowerShell 7 (not exercised by CI: PowerShell is not installable on the CI machines).
#   ./run.ps1               restore, build (Release), create the demo CRM when absent, run the nightly job once
#   ./run.ps1 test [args]   run every test; ends with the line "N passed, N failed"
#   ./run.ps1 <verb> ...    build, then pass the verb to the CLI
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'
$cli = 'artifacts/bin/CampaignEtl/release/CampaignEtl.dll'

function Build { dotnet build CampaignEtl.sln -c Release -nologo -v quiet -clp:NoSummary; if ($LASTEXITCODE) { exit $LASTEXITCODE } }

if ($args.Count -eq 0) {
    Build
    dotnet $cli demo seed --if-absent; if ($LASTEXITCODE) { exit $LASTEXITCODE }
    dotnet $cli run; exit $LASTEXITCODE
}
elseif ($args[0] -eq 'test') {
    $results = Join-Path ([IO.Path]::GetTempPath()) ([Guid]::NewGuid())
    $rest = @($args | Select-Object -Skip 1)
    dotnet test --solution CampaignEtl.sln -c Release --results-directory $results --report-xunit-trx @rest
    $status = $LASTEXITCODE
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($file in Get-ChildItem $results -Filter *.trx -ErrorAction SilentlyContinue) {
        $c = ([xml](Get-Content $file)).TestRun.ResultSummary.Counters
        $passed += [int]$c.passed; $failed += [int]$c.failed; $skipped += [int]$c.notExecuted
    }
    Remove-Item -Recurse -Force $results -ErrorAction SilentlyContinue
    if ($status -ne 0 -and $failed -eq 0) { $failed = 1 }
    "$passed passed, $failed failed, $skipped skipped"
    exit $status
}
else {
    Build
    dotnet $cli @args; exit $LASTEXITCODE
}
