; What setup and the uninstaller say, in English and Korean. NSIS picks the language of the Windows
; user interface at start (English for any language other than Korean); silent installs write the
; same sentences to %TEMP%\trayagent-setup.log. Variables in a LangString are filled in when the
; string is used, so each message names the folder or file it is about.
; Korean: the polite style of the app's own catalogue (trayagent/locale/ko/LC_MESSAGES/trayagent.po).

LangString Needs64Bit ${LANG_ENGLISH} "trayagent needs 64-bit Windows."
LangString Needs64Bit ${LANG_KOREAN} "trayagent는 64비트 Windows에서만 설치할 수 있습니다."

LangString NeedsAdmin ${LANG_ENGLISH} "trayagent is installed for all users: run this as an administrator."
LangString NeedsAdmin ${LANG_KOREAN} "trayagent는 모든 사용자를 위해 설치됩니다. 관리자 권한으로 실행하세요."

LangString AskingToQuit ${LANG_ENGLISH} "Asking running trayagent instances to quit..."
LangString AskingToQuit ${LANG_KOREAN} "실행 중인 trayagent에 종료를 요청하는 중..."

LangString Terminating ${LANG_ENGLISH} "trayagent is still running after ${QUIT_WAIT_S} s: terminating it..."
LangString Terminating ${LANG_KOREAN} "${QUIT_WAIT_S}초가 지나도 trayagent가 종료되지 않아 강제로 끝내는 중..."

LangString StillRunning ${LANG_ENGLISH} "trayagent is still running ($Busy is in use): it did not quit within ${QUIT_WAIT_S} s and could not be ended. Quit it from its tray menu or sign its users out, then run this again. Nothing was changed."
LangString StillRunning ${LANG_KOREAN} "trayagent가 아직 실행 중입니다($Busy 사용 중). ${QUIT_WAIT_S}초 안에 종료되지 않았고 강제로 끝낼 수도 없었습니다. 트레이 메뉴에서 종료하거나 사용 중인 사용자를 로그아웃시킨 뒤 다시 실행하세요. 아무것도 바뀌지 않았습니다."

LangString PolicyNotFound ${LANG_ENGLISH} "Policy file not found: $PolicySrc"
LangString PolicyNotFound ${LANG_KOREAN} "정책 파일을 찾을 수 없습니다: $PolicySrc"

; $1 is the app's own message (in the same language), which names the file and the setting.
LangString PolicyInvalid ${LANG_ENGLISH} "The policy file is not valid: $1"
LangString PolicyInvalid ${LANG_KOREAN} "정책 파일이 올바르지 않습니다: $1"

LangString RuntimeInUse ${LANG_ENGLISH} "Could not move $INSTDIR\runtime aside: a program still uses it. Close it and run this again. Nothing was changed."
LangString RuntimeInUse ${LANG_KOREAN} "$INSTDIR\runtime 폴더를 옮길 수 없습니다. 아직 이 폴더를 쓰는 프로그램이 있습니다. 그 프로그램을 닫고 다시 실행하세요. 아무것도 바뀌지 않았습니다."

LangString PolicyCopyFailed ${LANG_ENGLISH} "Could not copy $PolicySrc to $DataDir\policy.toml"
LangString PolicyCopyFailed ${LANG_KOREAN} "정책 파일을 복사할 수 없습니다: $PolicySrc → $DataDir\policy.toml"

LangString PolicyCopied ${LANG_ENGLISH} "Policy: $DataDir\policy.toml (from $PolicySrc)"
LangString PolicyCopied ${LANG_KOREAN} "정책: $DataDir\policy.toml ($PolicySrc에서 복사)"

LangString PolicyKept ${LANG_ENGLISH} "Policy: keeping $DataDir\policy.toml, which setup wrote before"
LangString PolicyKept ${LANG_KOREAN} "정책: 설치 프로그램이 전에 쓴 $DataDir\policy.toml 파일을 그대로 둡니다"

LangString PolicyTemplate ${LANG_ENGLISH} "Policy: $DataDir\policy.toml is the commented template (no key enforced)"
LangString PolicyTemplate ${LANG_KOREAN} "정책: $DataDir\policy.toml 파일에 주석 처리된 서식을 썼습니다 (강제하는 설정 없음)"

; A policy.toml that setup did not write: its contents are never used (any user may create files in
; ProgramData before the folder is locked), but IT should see it.
LangString PolicySetAside ${LANG_ENGLISH} "$DataDir\policy.toml is not the policy setup wrote (or was changed since), so it is not used: it was moved to $PolicyAside for IT to look at. To enforce a policy, give it with /POLICY=."
LangString PolicySetAside ${LANG_KOREAN} "$DataDir\policy.toml 파일은 설치 프로그램이 쓴 정책이 아니거나 그 뒤에 바뀌었으므로 쓰지 않습니다. IT 담당자가 확인할 수 있도록 $PolicyAside(으)로 옮겼습니다. 정책을 적용하려면 /POLICY=로 주세요."

LangString PolicyNotMoved ${LANG_ENGLISH} "$DataDir\policy.toml is not the policy setup wrote and could not be moved aside to $PolicyAside. Remove it and run this again."
LangString PolicyNotMoved ${LANG_KOREAN} "$DataDir\policy.toml 파일은 설치 프로그램이 쓴 정책이 아닌데 $PolicyAside(으)로 옮길 수 없었습니다. 그 파일을 지우고 다시 실행하세요."

LangString PolicyNotRecorded ${LANG_ENGLISH} "Could not read back $DataDir\policy.toml: the next install will move it aside unless given /POLICY= again."
LangString PolicyNotRecorded ${LANG_KOREAN} "$DataDir\policy.toml 파일을 다시 읽을 수 없었습니다. 다음 설치 때 /POLICY=를 다시 주지 않으면 이 파일을 옮겨 둡니다."

; icacls failures: "<one of these> (icacls: <its exit code>)."
LangString AclOwnFolder ${LANG_ENGLISH} "Could not give $DataDir to Administrators"
LangString AclOwnFolder ${LANG_KOREAN} "$DataDir 폴더의 소유자를 Administrators로 바꿀 수 없습니다"
LangString AclResetFolder ${LANG_ENGLISH} "Could not reset the permissions of $DataDir"
LangString AclResetFolder ${LANG_KOREAN} "$DataDir 폴더의 권한을 초기화할 수 없습니다"
LangString AclAdminsOnly ${LANG_ENGLISH} "Could not make $DataDir writable by administrators only"
LangString AclAdminsOnly ${LANG_KOREAN} "$DataDir 폴더를 관리자만 쓸 수 있게 바꿀 수 없습니다"
LangString AclOwnFiles ${LANG_ENGLISH} "Could not give the files in $DataDir to Administrators"
LangString AclOwnFiles ${LANG_KOREAN} "$DataDir 안 파일들의 소유자를 Administrators로 바꿀 수 없습니다"
LangString AclResetFiles ${LANG_ENGLISH} "Could not reset the permissions of the files in $DataDir"
LangString AclResetFiles ${LANG_KOREAN} "$DataDir 안 파일들의 권한을 초기화할 수 없습니다"

LangString NotRestored ${LANG_ENGLISH} "Could not restore the previous version: it is in $INSTDIR\runtime.old."
LangString NotRestored ${LANG_KOREAN} "이전 버전을 되돌리지 못했습니다. 이전 버전은 $INSTDIR\runtime.old 폴더에 있습니다."

LangString Restored ${LANG_ENGLISH} "Setup failed: the previous version was restored."
LangString Restored ${LANG_KOREAN} "설치에 실패하여 이전 버전으로 되돌렸습니다."

LangString ShortcutTip ${LANG_ENGLISH} "trayagent: stress at a glance during calls"
LangString ShortcutTip ${LANG_KOREAN} "trayagent: 통화 중 스트레스를 한눈에"

LangString RemovingUserData ${LANG_ENGLISH} "Removing $2\AppData\Local\trayagent"
LangString RemovingUserData ${LANG_KOREAN} "삭제하는 중: $2\AppData\Local\trayagent"

; Programs and Features (Apps): who publishes it and what it is, in the language setup ran in.
LangString Publisher ${LANG_ENGLISH} "trayagent developers"
LangString Publisher ${LANG_KOREAN} "trayagent 개발자"
LangString ArpComments ${LANG_ENGLISH} "Stress at a glance during calls"
LangString ArpComments ${LANG_KOREAN} "통화 중 스트레스를 한눈에 보여 줍니다"

; The setup file's properties (Explorer's Details tab): Korean Windows reads the Korean block.
VIAddVersionKey /LANG=${LANG_KOREAN} "ProductName" "trayagent"
VIAddVersionKey /LANG=${LANG_KOREAN} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_KOREAN} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_KOREAN} "FileDescription" "trayagent ${VERSION} 설치 프로그램"
VIAddVersionKey /LANG=${LANG_KOREAN} "CompanyName" "trayagent 개발자"
VIAddVersionKey /LANG=${LANG_KOREAN} "LegalCopyright" "MIT 라이선스, CPython 포함 (PSF 라이선스)"
