@echo off
rem pushctl on Windows: the console's own executable runs as Node (ELECTRON_RUN_AS_NODE) on the
rem CLI bundled inside the app, so no separate Node install is needed. The installer puts this
rem file next to "Push Install Console.exe" (electron-builder.yml, extraFiles).
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0Push Install Console.exe" "%~dp0resources\app.asar\dist\cli\pushctl.js" %*
exit /b %ERRORLEVEL%
