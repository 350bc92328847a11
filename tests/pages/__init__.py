"""The recruiter's pages rendered by an in-process dashboard on the standalone sandbox."""
