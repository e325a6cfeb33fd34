#!/bin/sh
# Download the five voice-emotion corpora from Kaggle into DIR/data (default ./data):
#
#   data/TESS/<speaker>_<emotion>/*.wav
#   data/RAVDESS_SONG/audio_song_actors_01-24/Actor_NN/*.wav
#   data/RAVDESS_SPEECH/audio_speech_actors_01-24/Actor_NN/*.wav
#   data/CREMA-D/*.wav
#   data/SAVEE/*.wav
#
# Usage: sh voice_data.sh [DIR]      (then: export VOICE_DATA_DIR=DIR)
#
# Needs the kaggle CLI (`pip install kaggle`) and an API token in ~/.kaggle/kaggle.json (or the
# KAGGLE_USERNAME and KAGGLE_KEY variables). Corpora already present are skipped; each one is
# unpacked into a staging folder and moved into place only when complete, so an interrupted run
# leaves nothing half-done behind: run the script again to resume.
set -eu

if [ -n "${1:-}" ]; then
    DATA_DIR="$1/data"
else
    DATA_DIR="data"
fi

if ! command -v kaggle >/dev/null 2>&1; then
    echo "voice_data.sh: the kaggle CLI is not installed. Install it with: pip install kaggle" >&2
    exit 2
fi
CONFIG_DIR="${KAGGLE_CONFIG_DIR:-$HOME/.kaggle}"
if [ ! -f "$CONFIG_DIR/kaggle.json" ] && { [ -z "${KAGGLE_USERNAME:-}" ] || [ -z "${KAGGLE_KEY:-}" ]; }; then
    echo "voice_data.sh: no Kaggle credentials. Create an API token on kaggle.com (Account > API > Create New Token)" >&2
    echo "  and save it as $CONFIG_DIR/kaggle.json (chmod 600), or set KAGGLE_USERNAME and KAGGLE_KEY." >&2
    exit 2
fi

mkdir -p "$DATA_DIR"
echo "Downloading data to $DATA_DIR"

# fetch NAME SLUG: download and unzip SLUG into a fresh staging folder, echo its path.
fetch() {
    stage="$DATA_DIR/.download-$1"
    rm -rf "$stage"
    mkdir -p "$stage"
    echo "  $1: kaggle datasets download $2" >&2
    if ! kaggle datasets download "$2" -p "$stage" --unzip >&2; then
        rm -rf "$stage"
        echo "voice_data.sh: downloading $2 failed (see kaggle's message above); run the script again to retry." >&2
        exit 1
    fi
    echo "$stage"
}

# place STAGE_SUBDIR TARGET: move a complete folder into place and drop the staging folder.
place() {
    if [ ! -d "$1" ]; then
        echo "voice_data.sh: the archive did not contain $(basename "$1"); its layout changed. Move its folder to $2 by hand." >&2
        exit 1
    fi
    mv "$1" "$2"
}

if [ -d "$DATA_DIR/TESS" ]; then
    echo "  TESS: present, skipped"
else
    s=$(fetch TESS ejlok1/toronto-emotional-speech-set-tess)
    place "$s/TESS Toronto emotional speech set data" "$DATA_DIR/TESS"
    # The archive holds a second, nested copy of the whole set.
    rm -rf "$DATA_DIR/TESS/TESS Toronto emotional speech set data" "$s"
fi

if [ -d "$DATA_DIR/RAVDESS_SONG" ]; then
    echo "  RAVDESS_SONG: present, skipped"
else
    s=$(fetch RAVDESS_SONG uwrfkaggler/ravdess-emotional-song-audio)
    place "$s" "$DATA_DIR/RAVDESS_SONG"
fi

if [ -d "$DATA_DIR/RAVDESS_SPEECH" ]; then
    echo "  RAVDESS_SPEECH: present, skipped"
else
    s=$(fetch RAVDESS_SPEECH uwrfkaggler/ravdess-emotional-speech-audio)
    place "$s" "$DATA_DIR/RAVDESS_SPEECH"
fi

if [ -d "$DATA_DIR/CREMA-D" ]; then
    echo "  CREMA-D: present, skipped"
else
    s=$(fetch CREMA-D ejlok1/cremad)
    place "$s/AudioWAV" "$DATA_DIR/CREMA-D"
    rm -rf "$s"
fi

if [ -d "$DATA_DIR/SAVEE" ]; then
    echo "  SAVEE: present, skipped"
else
    s=$(fetch SAVEE ejlok1/surrey-audiovisual-expressed-emotion-savee)
    place "$s/ALL" "$DATA_DIR/SAVEE"
    rm -rf "$s"
fi

echo "Done. Check what the loaders see with: idol datasets $(dirname "$DATA_DIR")"
