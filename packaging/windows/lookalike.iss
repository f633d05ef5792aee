; Inno Setup 6 script: a per-user or per-machine Windows installer for the PyInstaller bundle.
;
;   packaging\build.sh --archive        (from Git Bash; or: pyinstaller packaging\lookalike.spec
;                                        --distpath packaging\dist --workpath packaging\build)
;   iscc /DAppVersion=0.1.0 packaging\windows\lookalike.iss
;     -> packaging\dist\Lookalike-0.1.0-setup.exe
;
; Needs: Inno Setup 6 (https://jrsoftware.org/isinfo.php; `winget install JRSoftware.InnoSetup`),
; iscc.exe on the PATH. Optional: signtool.exe (Windows SDK) and a code-signing certificate, to
; sign lookalike.exe, lookalike-cli.exe and the setup (unsigned installers trigger SmartScreen).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Lookalike"
#define AppExe "lookalike.exe"
#define Bundle "..\dist\lookalike"

[Setup]
; A fixed AppId: upgrades replace the previous version instead of installing beside it.
AppId={{6C1F3A52-6E0B-4A4B-9F0E-3B7D1C2A9E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Lookalike developers
AppPublisherURL=https://github.com/lookalike/lookalike
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Installs for the current user without admin rights unless the user chooses all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=Lookalike-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add lookalike-cli to the PATH (for scripts)"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; "Open with Lookalike" for folders and common image types (no default-app takeover).
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; ValueData: """{app}\{#AppExe}"" ""%1"""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueName: "FriendlyAppName"; ValueType: string; ValueData: "{#AppName}"
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.png\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.heic\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.tif\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.webp\OpenWithList\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Directory\shell\Lookalike"; ValueType: string; ValueData: "Find duplicates with {#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Directory\shell\Lookalike"; ValueName: "Icon"; ValueType: string; ValueData: "{app}\{#AppExe}"
Root: HKA; Subkey: "Software\Classes\Directory\shell\Lookalike\command"; ValueType: string; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Current: string;
begin
  if not RegQueryStringValue(HKCU, 'Environment', 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;
