# essp import: the directory that existed before essp, brought in by staff.
