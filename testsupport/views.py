from django.shortcuts import get_object_or_404, render

from testsupport.models import Note


def note_detail(request, pk: int):
    return render(request, "testsupport/note_detail.html", {"note": get_object_or_404(Note, pk=pk)})
