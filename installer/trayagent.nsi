; trayagent Windows installer (NSIS 3, 64-bit). Built by installer/build.py, which passes:
;   VERSION, VERSION_NUMERIC (X.Y.Z.W), STAGE (staged folder), OUTFILE, COMPRESSOR, INSTALLED_KB
;
; Command line (see installer/README.md):
;   setup.exe [/S] [/POLICY=path\to\policy.toml] [/D=C:\install\dir]         (/D last, unquoted)
;   uninstall.exe [/S] [/PURGE] [/KEEPPOLICY]
; Exit codes: 0 ok, 1 cancelled, 2 aborted (also: trayagent would not quit), 3 bad /POLICY file,
; 4 permissions not set, 740 not elevated.

Unicode true
Target amd64-unicode
ManifestSupportedOS all
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID ${COMPRESSOR}
!if "${COMPRESSOR}" == "lzma"
  SetCompressorDictSize 64
!endif

!define APP "trayagent"
!define REGKEY "Software\trayagent"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\trayagent"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
; How long running instances get to close their open call and quit (after `trayagent stop` has
; waited up to 25 s) before being terminated; a daemon on a busy PC has taken 45 s.
!define QUIT_WAIT_S 90
; And after being terminated, before setup gives up and changes nothing.
!define KILL_WAIT_S 15

Name "trayagent ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\trayagent"
InstallDirRegKey HKLM "${REGKEY}" "InstallDir"
BrandingText "trayagent ${VERSION}"
ShowInstDetails show
ShowUninstDetails show
AllowSkipFiles off

VIProductVersion "${VERSION_NUMERIC}"
VIFileVersion "${VERSION_NUMERIC}"
VIAddVersionKey /LANG=0 "ProductName" "trayagent"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "trayagent ${VERSION} setup"
VIAddVersionKey /LANG=0 "CompanyName" "trayagent developers"
VIAddVersionKey /LANG=0 "LegalCopyright" "MIT License; bundles CPython (PSF License)"

!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"
!include "MUI2.nsh"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"  ; the first is the default for any other language
!insertmacro MUI_LANGUAGE "Korean"

Var PolicySrc     ; /POLICY= argument, full path, or ""
Var DataDir       ; %ProgramData%\trayagent
Var Purge         ; uninstall: 1 if /PURGE
Var KeepPolicy    ; uninstall: 1 if /KEEPPOLICY
Var Busy          ; StopRunning: a file of the runtime that a running process holds, or ""
Var OldRuntime    ; install: 1 while the previous runtime waits in runtime.old for a rollback
Var PolicyKeep    ; install: 1 when policy.toml is the one setup wrote last time
Var PolicyAside   ; install: where a policy.toml setup did not write was moved

!include "strings.nsh"  ; (after the variables its messages name)

; ---------------------------------------------------------------------------------------------
; Shared by installer and uninstaller

!macro ProgramDataDir
  ReadEnvStr $DataDir "PROGRAMDATA"
  ${If} $DataDir == ""
    StrCpy $DataDir "$APPDATA"  ; all-users context: the ProgramData folder
  ${EndIf}
  StrCpy $DataDir "$DataDir\trayagent"
!macroend

; Silent installs show no message box: errors also go to %TEMP%\trayagent-setup.log (for an
; installer running as SYSTEM: C:\Windows\Temp).
; The log is UTF-16LE with a byte-order mark (what Notepad and PowerShell read without guessing), so
; a Korean message reads the same whatever the machine's code page.
!macro Log msg
  DetailPrint "${msg}"
  FileOpen $9 "$TEMP\trayagent-setup.log" a
  FileSeek $9 0 END $8
  ${If} $8 == 0
    FileWriteWord $9 0xFEFF
  ${EndIf}
  FileWriteUTF16LE $9 "trayagent ${VERSION} setup: ${msg}$\r$\n"
  FileClose $9
!macroend

!macro Fail code msg
  !insertmacro Log "${msg}"
  MessageBox MB_ICONSTOP "${msg}" /SD IDOK
  SetErrorLevel ${code}
!macroend

; icacls with its exit code checked (nsExec pushes the code, or "error"/"timeout"); failed: the
; LangString that says what could not be done.
!macro Icacls args failed
  nsExec::ExecToLog /TIMEOUT=120000 'icacls ${args}'
  Pop $0
  ${If} $0 != 0
    !insertmacro Fail 4 "$(${failed}) (icacls: $0)."
    Abort
  ${EndIf}
!macroend

!macro RequireAdmin
  UserInfo::GetAccountType
  Pop $0
  ${If} $0 != "admin"
    !insertmacro Fail 740 "$(NeedsAdmin)"
    Quit
  ${EndIf}
!macroend

; Close every running instance (all sessions) before files are replaced or removed:
; 1. `trayagent stop` asks this user's daemon to quit cleanly (the installer's own session);
; 2. %ProgramData%\trayagent\quit.request (writable by administrators only) asks the daemons of
;    every other session to quit cleanly: a daemon that sees it newer than its own start quits;
; 3. setup waits up to QUIT_WAIT_S for them to close their calls and exit;
; 4. whatever still runs from our runtime folder is then terminated, and if anything is still
;    there after KILL_WAIT_S more, setup stops with a clear message, having changed nothing.
; All of it is NSIS alone, no powershell (absent under wine, blocked on some locked-down PCs):
; Windows refuses write access to a program or DLL that a running process has loaded, and every
; trayagent process, whichever session and whichever of python.exe/pythonw.exe, loads
; runtime\python311.dll; the processes to terminate are found by their program's path.
!macro StopRunning un
; $Busy = the first runtime file still loaded by a running process, or "" when none is.
Function ${un}RuntimeBusy
  StrCpy $Busy ""
  Push $0
  Push $1
  StrCpy $0 0
  ${Do}
    ${Select} $0
      ${Case} 0
        StrCpy $1 "python311.dll"
      ${Case} 1
        StrCpy $1 "pythonw.exe"
      ${Case} 2
        StrCpy $1 "python.exe"
      ${CaseElse}
        ${Break}
    ${EndSelect}
    ${If} ${FileExists} "$INSTDIR\runtime\$1"
      ClearErrors
      FileOpen $9 "$INSTDIR\runtime\$1" a  ; read/write, nothing written: the file stays as it is
      ${If} ${Errors}
        StrCpy $Busy "$INSTDIR\runtime\$1"
        ${Break}
      ${EndIf}
      FileClose $9
    ${EndIf}
    IntOp $0 $0 + 1
  ${Loop}
  Pop $1
  Pop $0
FunctionEnd

; Until RuntimeBusy finds nothing, for at most the seconds on the stack.
Function ${un}WaitRuntimeFree
  Exch $0
  IntOp $0 $0 * 2
  ${Do}
    Call ${un}RuntimeBusy
    ${If} $Busy == ""
    ${OrIf} $0 <= 0
      ${Break}
    ${EndIf}
    Sleep 500
    IntOp $0 $0 - 1
  ${Loop}
  Pop $0
FunctionEnd

; Terminates every process whose program is in $INSTDIR\runtime\ (kernel32 through System).
Function ${un}TerminateRuntime
  Push $R0
  Push $R1
  Push $R2
  Push $R3
  Push $R4
  Push $R5
  Push $R6
  StrCpy $R6 "$INSTDIR\runtime\"
  System::Alloc 65536  ; room for 16384 process ids
  Pop $R0
  System::Call 'kernel32::K32EnumProcesses(p R0, i 65536, *i .R1) i .R2'
  ${If} $R2 != 0
    StrCpy $R2 0
    ${DoWhile} $R2 < $R1
      IntPtrOp $R3 $R0 + $R2
      System::Call '*$R3(i .R4)'
      ; PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION
      System::Call 'kernel32::OpenProcess(i 0x1001, i 0, i R4) p .R5'
      ${If} $R5 != 0
        System::Call 'kernel32::QueryFullProcessImageNameW(p R5, i 0, w .R3, *i ${NSIS_MAX_STRLEN}) i .R4'
        StrLen $R4 $R6
        StrCpy $R3 $R3 $R4
        ${If} $R3 == $R6  ; (NSIS compares case-insensitively, as Windows paths are)
          System::Call 'kernel32::TerminateProcess(p R5, i 1)'
        ${EndIf}
        System::Call 'kernel32::CloseHandle(p R5)'
      ${EndIf}
      IntOp $R2 $R2 + 4
    ${Loop}
  ${EndIf}
  System::Free $R0
  Pop $R6
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
FunctionEnd

Function ${un}StopRunning
  ${If} ${FileExists} "$INSTDIR\runtime\python.exe"
    DetailPrint "$(AskingToQuit)"
    ${If} ${FileExists} "$DataDir\*.*"
      FileOpen $1 "$DataDir\quit.request" w
      FileWrite $1 "trayagent setup ${VERSION}$\r$\n"
      FileClose $1
    ${EndIf}
    nsExec::ExecToLog /TIMEOUT=25000 '"$INSTDIR\runtime\python.exe" -m trayagent stop'
    Pop $0
    Push ${QUIT_WAIT_S}
    Call ${un}WaitRuntimeFree
    ${If} $Busy != ""
      DetailPrint "$(Terminating)"
      Call ${un}TerminateRuntime
      Push ${KILL_WAIT_S}
      Call ${un}WaitRuntimeFree
    ${EndIf}
    Delete "$DataDir\quit.request"
    ${If} $Busy != ""
      !insertmacro Fail 2 "$(StillRunning)"
      Abort
    ${EndIf}
  ${EndIf}
FunctionEnd
!macroend
!insertmacro StopRunning ""
!insertmacro StopRunning "un."

; ---------------------------------------------------------------------------------------------
; Installer

; /POLICY=value from the command line, in any of the forms people and tools write:
;   /POLICY=C:\p.toml   /POLICY="C:\a b\p.toml"   "/POLICY=C:\a b\p.toml"
; (FileFunc's GetOptions misses the last one, which is how most tools quote an argument, and
; silently installing without the intended policy is the worst outcome.) Case-insensitive.
Function PolicyArg
  Exch $0          ; parameters
  Push $1          ; index
  Push $2          ; scratch
  Push $3          ; terminator
  Push $4          ; result
  StrCpy $4 ""
  StrCpy $1 0
  ${Do}
    StrCpy $2 $0 8 $1
    ${If} $2 == ""
      ${Break}
    ${EndIf}
    ${If} $2 == "/POLICY="
      StrCpy $3 " "
      ${If} $1 > 0
        IntOp $2 $1 - 1
        StrCpy $2 $0 1 $2
        ${If} $2 == '"'
          StrCpy $3 '"'
        ${EndIf}
      ${EndIf}
      IntOp $1 $1 + 8
      StrCpy $2 $0 1 $1
      ${If} $2 == '"'
        StrCpy $3 '"'
        IntOp $1 $1 + 1
      ${EndIf}
      ${Do}
        StrCpy $2 $0 1 $1
        ${If} $2 == ""
        ${OrIf} $2 == $3
          ${Break}
        ${EndIf}
        StrCpy $4 "$4$2"
        IntOp $1 $1 + 1
      ${Loop}
      ${Break}
    ${EndIf}
    IntOp $1 $1 + 1
  ${Loop}
  StrCpy $0 $4
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; $1 = the SHA-256 (hex) of $DataDir\policy.toml, or "" when it cannot be read (the installed
; runtime computes it: NSIS has no hash of its own). $0 is clobbered.
Function PolicyHash
  nsExec::ExecToStack `"$INSTDIR\runtime\python.exe" -I -c "import hashlib, sys; sys.stdout.write(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())" "$DataDir\policy.toml"`
  Pop $0
  Pop $1
  StrLen $0 $1
  ${If} $0 != 64
    StrCpy $1 ""
  ${EndIf}
FunctionEnd

; Moves $DataDir\policy.toml to policy.toml.found-YYYYMMDD-HHMMSS (another number after it should
; that name be taken) and logs where; a file that cannot be moved stops the install.
Function SetPolicyAside
  ${GetTime} "" "L" $R1 $R2 $R3 $R4 $R5 $R6 $R7
  StrCpy $PolicyAside "$DataDir\policy.toml.found-$R3$R2$R1-$R5$R6$R7"
  StrCpy $R8 1
  ${While} ${FileExists} $PolicyAside
    IntOp $R8 $R8 + 1
    StrCpy $PolicyAside "$DataDir\policy.toml.found-$R3$R2$R1-$R5$R6$R7-$R8"
  ${EndWhile}
  ClearErrors
  Rename "$DataDir\policy.toml" $PolicyAside
  ${If} ${Errors}
    !insertmacro Fail 2 "$(PolicyNotMoved)"
    Abort
  ${EndIf}
  !insertmacro Log "$(PolicySetAside)"
FunctionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    !insertmacro Fail 2 "$(Needs64Bit)"
    Quit
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  !insertmacro RequireAdmin
  !insertmacro ProgramDataDir

  ${GetParameters} $R0
  Push $R0
  Call PolicyArg
  Pop $PolicySrc
  ${If} $PolicySrc != ""
    GetFullPathName $0 $PolicySrc  ; (empty for a file that is not there: then the path as given)
    ${If} $0 != ""
      StrCpy $PolicySrc $0
    ${EndIf}
    ${IfNot} ${FileExists} $PolicySrc
      !insertmacro Fail 3 "$(PolicyNotFound)"
      Quit
    ${EndIf}
    ; Validate it with the app's own settings table (keys, types, ranges) using a minimal copy of
    ; the bundled runtime, before anything on the machine changes.
    InitPluginsDir
    SetOutPath "$PLUGINSDIR\py"
    File "${STAGE}\runtime\python.exe"
    File "${STAGE}\runtime\python311.dll"
    File "${STAGE}\runtime\python311.zip"
    File "${STAGE}\runtime\python311._pth"
    File "${STAGE}\runtime\vcruntime140.dll"
    File "${STAGE}\runtime\vcruntime140_1.dll"
    ; ctypes: the app asks Windows for the user interface language, to answer in it
    File "${STAGE}\runtime\_ctypes.pyd"
    File "${STAGE}\runtime\libffi-8.dll"
    ; unicodedata: the app's wording (trayagent/wording.py) measures text in it
    File "${STAGE}\runtime\unicodedata.pyd"
    SetOutPath "$PLUGINSDIR\py\Lib\site-packages"
    File /r /x "model" "${STAGE}\runtime\Lib\site-packages\trayagent"
    File /r "${STAGE}\runtime\Lib\site-packages\platformdirs"
    ; (It prints only the problem, in the language of the Windows user interface, as setup does.)
    nsExec::ExecToStack `"$PLUGINSDIR\py\python.exe" -I -c "import sys; from pathlib import Path; from trayagent import config; sys.exit(config.policy_problem(Path(sys.argv[1])))" "$PolicySrc"`
    Pop $0
    Pop $1
    SetOutPath "$TEMP"
    RMDir /r "$PLUGINSDIR\py"
    ${If} $0 != 0
      ${Do}  ; the message's own line ending(s), which the log adds again
        StrCpy $2 $1 1 -1
        ${If} $2 != "$\n"
        ${AndIf} $2 != "$\r"
          ${Break}
        ${EndIf}
        StrCpy $1 $1 -1
      ${Loop}
      !insertmacro Fail 3 "$(PolicyInvalid)"
      Quit
    ${EndIf}
  ${EndIf}
FunctionEnd

Section "trayagent" SecMain
  SectionIn RO
  SetRegView 64
  SetShellVarContext all

  Call StopRunning

  ; Upgrade in place: the runtime is replaced whole, so no file of an older version survives. The
  ; old one is moved aside first (a rename: instant, and refused while anything in it is in use),
  ; so that an install that fails from here on puts it back (.onInstFailed) and leaves a working
  ; trayagent, never a half-replaced one; it is deleted once everything else has succeeded.
  StrCpy $OldRuntime 0
  ${If} ${FileExists} "$INSTDIR\runtime\*.*"
    RMDir /r "$INSTDIR\runtime.old"  ; left by an upgrade that was cut off (power loss)
    ; A virus scanner or Explorer may hold a file for a moment: a few tries, 10 s in all.
    StrCpy $0 20
    ${Do}
      ClearErrors
      Rename "$INSTDIR\runtime" "$INSTDIR\runtime.old"
      ${IfNot} ${Errors}  ; (checking clears the error flag)
        StrCpy $OldRuntime 1
        ${Break}
      ${EndIf}
      IntOp $0 $0 - 1
      ${If} $0 <= 0
        ${Break}
      ${EndIf}
      Sleep 500
    ${Loop}
    ${If} $OldRuntime != 1
      !insertmacro Fail 2 "$(RuntimeInUse)"
      Abort
    ${EndIf}
  ${EndIf}
  SetOutPath "$INSTDIR\runtime"
  File /r "${STAGE}\runtime\*.*"
  SetOutPath "$INSTDIR"
  File "${STAGE}\PYTHON-LICENSE.txt"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Machine policy: readable by users, writable only by administrators and SYSTEM, so users can
  ; neither edit nor create policy.toml (ProgramData lets users create files by default). A user
  ; may have made the folder or policy.toml first: they would own it (an owner may rewrite its ACL)
  ; and may hold entries of their own. So the folder goes to Administrators, loses every entry and
  ; gets its own ACL; then everything inside (made before, or in the moment the folder was open)
  ; goes to Administrators too and keeps only what it inherits from the folder.
  ; Any icacls failure stops the install: a policy users can edit is no policy.
  CreateDirectory "$DataDir"
  !insertmacro Icacls '"$DataDir" /setowner *S-1-5-32-544 /Q' AclOwnFolder
  !insertmacro Icacls '"$DataDir" /reset /Q' AclResetFolder
  !insertmacro Icacls '"$DataDir" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX /Q' AclAdminsOnly
  SetOutPath "$DataDir"
  File "${STAGE}\policy.example.toml"
  ; Only IT's policy counts: a policy.toml that setup did not write itself (its SHA-256 is not the
  ; one recorded when setup last wrote it) may have been put there by a user before the folder was
  ; locked, or kept by an older setup that only reset its owner; its contents are never kept. It is
  ; moved aside, where IT sees it, and setup writes the /POLICY file or the commented template.
  StrCpy $PolicyKeep 0
  ${If} ${FileExists} "$DataDir\policy.toml"
    Call PolicyHash
    ReadRegStr $2 HKLM "${REGKEY}" "PolicySha256"
    ${If} $1 != ""
    ${AndIf} $1 == $2
      StrCpy $PolicyKeep 1
    ${Else}
      Call SetPolicyAside
    ${EndIf}
  ${EndIf}
  ${If} $PolicySrc != ""
    System::Call 'kernel32::CopyFileW(w "$PolicySrc", w "$DataDir\policy.toml", i 0) i.r0'
    ${If} $0 == 0
      !insertmacro Fail 3 "$(PolicyCopyFailed)"
      Abort
    ${EndIf}
    DetailPrint "$(PolicyCopied)"
  ${ElseIf} $PolicyKeep == 1
    DetailPrint "$(PolicyKept)"
  ${Else}
    File "/oname=policy.toml" "${STAGE}\policy.example.toml"
    DetailPrint "$(PolicyTemplate)"
  ${EndIf}
  Call PolicyHash
  ${If} $1 == ""
    !insertmacro Log "$(PolicyNotRecorded)"
    DeleteRegValue HKLM "${REGKEY}" "PolicySha256"
  ${Else}
    WriteRegStr HKLM "${REGKEY}" "PolicySha256" $1
  ${EndIf}
  ; (never empty here: policy.example.toml is inside, so the wildcard matches)
  !insertmacro Icacls '"$DataDir\*" /setowner *S-1-5-32-544 /T /Q' AclOwnFiles
  !insertmacro Icacls '"$DataDir\*" /reset /T /Q' AclResetFiles
  SetOutPath "$INSTDIR"

  ; Auto-start at sign-in for every user, without a console window.
  WriteRegStr HKLM "${RUNKEY}" "${APP}" '"$INSTDIR\runtime\pythonw.exe" -m trayagent run'

  CreateShortcut "$SMPROGRAMS\trayagent.lnk" "$INSTDIR\runtime\pythonw.exe" "-m trayagent run" \
    "$INSTDIR\runtime\pythonw.exe" 0 SW_SHOWNORMAL "" "$(ShortcutTip)"

  WriteRegStr HKLM "${REGKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${REGKEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "trayagent"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "$(Publisher)"
  WriteRegStr HKLM "${UNINSTKEY}" "Comments" "$(ArpComments)"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\runtime\pythonw.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" ${INSTALLED_KB}

  ; Committed: the previous version is no longer needed.
  ${If} $OldRuntime == 1
    StrCpy $OldRuntime 0
    RMDir /r "$INSTDIR\runtime.old"
  ${EndIf}
SectionEnd

; Any failure after the old runtime was moved aside (a file that could not be written, a disk
; full, an icacls error) puts the previous version back as it was.
Function .onInstFailed
  ${If} $OldRuntime == 1
    SetOutPath "$INSTDIR"
    RMDir /r "$INSTDIR\runtime"
    ClearErrors
    Rename "$INSTDIR\runtime.old" "$INSTDIR\runtime"
    ${If} ${Errors}
      !insertmacro Log "$(NotRestored)"
    ${Else}
      !insertmacro Log "$(Restored)"
    ${EndIf}
  ${EndIf}
FunctionEnd

; ---------------------------------------------------------------------------------------------
; Uninstaller

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  !insertmacro RequireAdmin
  !insertmacro ProgramDataDir
  ${GetParameters} $R0
  StrCpy $Purge 0
  StrCpy $KeepPolicy 0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    StrCpy $Purge 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/KEEPPOLICY" $R1
  ${IfNot} ${Errors}
    StrCpy $KeepPolicy 1
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetRegView 64
  SetShellVarContext all

  Call un.StopRunning

  DeleteRegValue HKLM "${RUNKEY}" "${APP}"
  Delete "$SMPROGRAMS\trayagent.lnk"

  ; Only what the installer put there: never RMDir /r $INSTDIR (it may be a shared folder).
  RMDir /r "$INSTDIR\runtime"
  RMDir /r "$INSTDIR\runtime.old"  ; a previous version kept by an upgrade that could not finish
  Delete "$INSTDIR\PYTHON-LICENSE.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$DataDir\policy.example.toml"
  ${If} $KeepPolicy == 0
    Delete "$DataDir\policy.toml"
  ${EndIf}
  RMDir "$DataDir"  ; only if empty: files IT added there stay

  ${If} $Purge == 1
    ; Users' data and logs: %LOCALAPPDATA%\trayagent of every profile on this machine.
    StrCpy $0 0
    ${Do}
      EnumRegKey $1 HKLM "SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList" $0
      ${If} $1 == ""
        ${Break}
      ${EndIf}
      ReadRegStr $2 HKLM "SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$1" "ProfileImagePath"
      ExpandEnvStrings $2 $2
      ${If} $2 != ""
      ${AndIf} ${FileExists} "$2\AppData\Local\trayagent\*.*"
        DetailPrint "$(RemovingUserData)"
        RMDir /r "$2\AppData\Local\trayagent"
      ${EndIf}
      IntOp $0 $0 + 1
    ${Loop}
    SetShellVarContext current
    RMDir /r "$LOCALAPPDATA\trayagent"
    SetShellVarContext all
    DeleteRegValue HKCU "${RUNKEY}" "${APP}"  ; this user's own "Start at login", if any
  ${EndIf}

  DeleteRegKey HKLM "${UNINSTKEY}"
  ${If} $KeepPolicy == 1  ; the kept policy.toml stays setup's own for the next install
    DeleteRegValue HKLM "${REGKEY}" "InstallDir"
    DeleteRegValue HKLM "${REGKEY}" "Version"
  ${Else}
    DeleteRegKey HKLM "${REGKEY}"
  ${EndIf}
SectionEnd
