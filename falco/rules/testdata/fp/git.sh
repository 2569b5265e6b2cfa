#!/bin/sh
# Everyday git: init, commit, branch, log, diff, and a clone of the
# repository over the file:// transport (git-upload-pack through a shell).
# requires: git
set -eu
cd "$FT_SCENARIO_WORK"
export HOME="$FT_SCENARIO_WORK" GIT_CONFIG_NOSYSTEM=1
git config --global user.name "Scenario"
git config --global user.email scenario@example.invalid
git config --global init.defaultBranch main
git init -q repo
cd repo
echo one >file.txt
git add file.txt
git commit -q -m "first"
git checkout -q -b feature
echo two >>file.txt
git commit -q -am "second"
git checkout -q main
git merge -q feature
git log --oneline >/dev/null
git diff HEAD~1 >/dev/null
git status --short >/dev/null
cd ..
git clone -q --no-local "file://$FT_SCENARIO_WORK/repo" clone
git -C clone log --oneline >/dev/null
git -C clone gc -q
